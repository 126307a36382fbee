//! `sn-conform mock`: serve the mock instance until Ctrl-C.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use super::MockArgs;
use crate::mock::{self, Account, Fault, Mock, MockOptions};

pub fn serve(args: MockArgs) -> anyhow::Result<ExitCode> {
    if args.faults.iter().any(|f| f == "list") {
        for fault in Fault::ALL {
            super::emit(&format!("{:34} {}\n", fault.name(), fault.description()));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let faults = args
        .faults
        .iter()
        .map(|f| f.parse::<Fault>().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    let mut accounts = Account::built_in();
    for account in &mut accounts {
        let given = match account.user_name.as_str() {
            "admin" => &args.admin_password,
            "awa.integration" => &args.awa_password,
            _ => &args.norole_password,
        };
        if let Some(password) = given {
            account.password = password.clone();
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async {
        let address = format!("{}:{}", args.host, args.port);
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        let local = listener.local_addr().context("cannot read the bound address")?;
        let mock = Mock::new(MockOptions { accounts, faults });
        // A closed stdout (a caller that read only the first line) must not stop the server.
        let say = |line: String| {
            let _ = writeln!(std::io::stdout(), "{line}");
        };
        say(format!("sn-conform mock instance listening on http://{local}"));
        say("accounts: admin (admin role), awa.integration (awa_integration_user), no.role (no role); passwords as set, by default the user name".into());
        if !args.faults.is_empty() {
            say(format!("faults switched on: {}", args.faults.join(", ")));
        }
        say("press Ctrl-C to stop".into());
        mock::serve(listener, mock, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the mock server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}
