//! The binary as a process: its path, and `sn-conform mock` served on a free loopback port.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_sn-conform");

/// `sn-conform mock --port 0 ...`, killed on drop; its URL read from its first line.
pub struct MockProcess {
    pub child: Child,
    pub url: String,
}

impl MockProcess {
    pub fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            // Short-lived tokens, so that the expired-token scenario runs.
            .args(["mock", "--port", "0", "--token-lifetime", "1"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        // Keep draining what the mock prints after its first line.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let url = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "unexpected first line: {line}"
        );
        Self { child, url }
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
