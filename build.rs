//! Nothing to generate yet. The specs and schemas compiled into the binary are embedded by
//! `src/main.rs` with `include_dir!`, whose `include_bytes!` lets rustc track each file:
//! watching `specs/` here would rebuild the whole library on every spec edit.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
