//! Rebuilds the binary when `specs/` or `schemas/` change: `include_dir!` embeds them, but the
//! compiler does not know to look at them again on its own.

fn main() {
    println!("cargo:rerun-if-changed=specs");
    println!("cargo:rerun-if-changed=schemas");
}
