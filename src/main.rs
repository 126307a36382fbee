//! `sn-conform`: see `sn-conform --help` and the README.
//!
//! `specs/` and `schemas/` are compiled in here, in the binary's own crate rather than the
//! library: rustc tracks every embedded file, so editing a spec rebuilds this file alone
//! (the library is untouched), and an installed binary keeps its built-in copy.

use include_dir::{include_dir, Dir};

static SPECS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/specs");
static SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

fn main() -> std::process::ExitCode {
    sn_conform::source::assets::use_built_in(sn_conform::source::assets::BuiltIn {
        specs: &SPECS,
        schemas: &SCHEMAS,
    });
    sn_conform::cli::main()
}
