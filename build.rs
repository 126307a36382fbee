//! The commit and date the binary is built from, for `--version` and `report.json`'s `tool`
//! (`0.2.0 (abc1234 2026-12-10)`), when it is built from a git checkout; nothing otherwise (a
//! packaged source has no history). Only git's HEAD and the ref it names are watched: the specs
//! and schemas compiled into the binary are embedded by `src/main.rs` with `include_dir!`,
//! whose `include_bytes!` lets rustc track each file, so a spec edit rebuilds main.rs alone.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let built = match (
        git(&["rev-parse", "--short=7", "HEAD"]),
        git(&["log", "-1", "--format=%cd", "--date=short"]),
    ) {
        (Some(commit), Some(date)) => format!(" ({commit} {date})"),
        _ => String::new(),
    };
    println!("cargo:rustc-env=SN_CONFORM_BUILT_FROM={built}");
    // A new commit changes HEAD's ref (or HEAD itself, detached): build again to say so.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        if let Some(name) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{name}");
        }
        println!("cargo:rerun-if-changed={dir}/packed-refs");
    }
}
