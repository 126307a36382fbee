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
    let options = options(&args)?;
    let seeded = options.seed.len();
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
        let tls = if args.tls {
            let certificate = mock::tls::SelfSigned::new(std::slice::from_ref(&args.host))?;
            let path = args
                .cert_out
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("sn-conform-mock.pem"));
            certificate.write(&path)?;
            Some((certificate, path))
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let mock = Mock::new(options);
        // A closed stdout (a caller that read only the first line) must not stop the server.
        let say = |line: String| {
            let _ = writeln!(std::io::stdout(), "{line}");
        };
        say(format!("sn-conform mock instance listening on {scheme}://{local}"));
        if let Some((_, path)) = &tls {
            say(format!("certificate (trust it in your client): {}", path.display()));
        }
        say("accounts: admin (admin role), awa.integration (awa_integration_user), no.role (no role); passwords as set, by default the user name".into());
        if !args.faults.is_empty() {
            say(format!("faults switched on: {}", args.faults.join(", ")));
        }
        if seeded > 0 {
            say(format!("seeded {seeded} record(s); POST /sn-conform/reset (as admin) puts them back"));
        }
        say(format!("OAuth client: {} (tokens live {} s)", mock::BUILT_IN_OAUTH_CLIENT, args.token_lifetime));
        say("press Ctrl-C to stop".into());
        let counted = mock.clone();
        match &tls {
            Some((certificate, _)) => {
                let listener = certificate
                    .listener(listener)
                    .context("cannot listen for https")?;
                mock::serve(listener, mock, shutdown_signal()).await
            }
            None => mock::serve(listener, mock, shutdown_signal()).await,
        }
        .context("the mock server failed")?;
        let counts: Vec<String> = counted
            .requests_by_method()
            .iter()
            .map(|(method, n)| format!("{method} {n}"))
            .collect();
        say(format!("stopped; requests served: {}", if counts.is_empty() { "none".to_string() } else { counts.join(", ") }));
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The mock's options from the command line: faults, account passwords, seed, limits.
fn options(args: &MockArgs) -> anyhow::Result<MockOptions> {
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
    let dictionary = match &args.dictionary {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the dictionary {}", path.display()))?;
            std::sync::Arc::new(mock::Dictionary::parse(&text, &path.display().to_string())?)
        }
        None => mock::Dictionary::built_in(),
    };
    let seed = match &args.seed {
        Some(path) => {
            mock::seed::load(path, &dictionary).map_err(|errors| super::all_errors(&errors))?
        }
        None => Vec::new(),
    };
    let defaults = MockOptions::default();
    Ok(MockOptions {
        accounts,
        faults,
        token_lifetime: std::time::Duration::from_secs(args.token_lifetime),
        oauth_client_secret: args
            .oauth_client_secret
            .clone()
            .unwrap_or(defaults.oauth_client_secret),
        latency: args.latency,
        max_body: args.max_body,
        seed,
        https: args.tls,
        max_header_bytes: args.max_header_bytes,
        max_uri_bytes: args.max_uri_bytes,
        max_records: args.max_records,
        max_concurrent: args.max_concurrent,
        rate_limit: args.rate_limit,
        dictionary,
    })
}

/// Ctrl-C, or SIGTERM where there is one (a service manager or a test stopping the mock).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
