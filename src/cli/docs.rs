//! `sn-conform completions SHELL` and `sn-conform man`: the shell completions and the man
//! pages, generated from the same command definition `--help` prints, so they never disagree.

use std::process::ExitCode;

use anyhow::Context;

use super::{CompletionsArgs, ManArgs};

/// Prints the completion script for `args.shell` on stdout.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = super::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "sn-conform", &mut script);
    super::emit(&String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}

/// Writes `sn-conform.1` and one page per subcommand into `args.out`.
pub fn man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let command = super::command().version(crate::VERSION);
    clap_mangen::generate_to(command, &args.out)
        .with_context(|| format!("cannot write the man pages into {}", args.out.display()))?;
    eprintln!(
        "sn-conform man: wrote {} (and a page per subcommand)",
        args.out.join("sn-conform.1").display()
    );
    Ok(ExitCode::SUCCESS)
}
