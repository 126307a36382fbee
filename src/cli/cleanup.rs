//! `sn-conform cleanup LEDGER`: after a run that was killed (SIGKILL, power loss), delete the
//! records its ledger still lists and restore the settings it changed. The target is the one
//! the ledger names unless the options say otherwise; credentials come as for `run`.

use std::process::ExitCode;

use anyhow::Context;
use colored::Colorize;

use super::CleanupArgs;
use crate::runner;

pub fn cleanup(mut args: CleanupArgs) -> anyhow::Result<ExitCode> {
    let base_url = runner::ledger_base_url(&args.ledger)?;
    let inputs = args.inputs.load().map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.target.base_url.is_none() && args.target.profile.is_none() {
        args.target.base_url = Some(base_url.clone());
    }
    let resolved = args.target.resolve(&inputs.schemas, &inputs.suite, false)?;
    if resolved.embedded {
        anyhow::bail!("the ledger names no instance and none was given");
    }
    let target = resolved.target;
    if target.base_url != base_url {
        eprintln!(
            "{} the ledger was written for {base_url}; cleaning up on {} as asked",
            "note:".yellow(),
            target.base_url
        );
    }
    let url = target.base_url.clone();
    let (sweep, outstanding) = runner::cleanup(target, &args.ledger)
        .with_context(|| format!("cleaning up {} on {url}", args.ledger.display()))?;
    let mut out = String::new();
    if outstanding.is_empty() {
        out.push_str(&format!(
            "nothing to clean up: {} lists no record or setting still in place on {url}\n",
            args.ledger.display()
        ));
    }
    for what in &sweep.deleted {
        out.push_str(&format!("deleted {what}\n"));
    }
    for what in &sweep.gone {
        out.push_str(&format!("already gone {what}\n"));
    }
    for what in &sweep.restored {
        out.push_str(&format!("restored {what}\n"));
    }
    super::emit(&out);
    for problem in &sweep.problems {
        eprintln!("{} {problem}", "error:".red());
    }
    if !outstanding.is_empty() {
        super::emit(&format!(
            "cleanup: {} deleted, {} already gone, {} setting(s) restored, {} problem(s)\n",
            sweep.deleted.len(),
            sweep.gone.len(),
            sweep.restored.len(),
            sweep.problems.len()
        ));
    }
    Ok(if sweep.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
