//! `sn-conform`: see `sn-conform --help` and the README.

fn main() -> std::process::ExitCode {
    sn_conform::cli::main()
}
