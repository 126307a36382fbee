//! Loading and validating a large suite: a generated tree of 980 and 9,800 scenarios (14 and
//! 140 copies of each of the repository's 70, under names of their own), loaded the way `run`
//! and `lint` load specs (YAML, the scenario schema, the model's checks, the fixture-sharing
//! decisions). Each size loads in a child process of its
//! own, which reports its time and its peak resident memory (VmHWM).
//!
//! `cargo bench --bench scale` (`SN_BENCH_ROUNDS`, default 3; medians reported).
//! `SN_SCALE_GENERATE=DIR:COPIES` writes a tree and stops; `SN_SCALE_CHILD=DIR` loads one
//! and prints "milliseconds scenarios peak-kB" (what each measurement runs).
//! Targets: 9,800 scenarios in under 10x the time of 980, in under 200 MB.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod support;

/// Writes a tree under `dir` with `copies` copies of every scenario of specs/: the same
/// catalogue and operations, each spec file with its scenarios (merge keys applied) as
/// anchors and, for each copy, a scenario that merges one and names itself. Every copy is a
/// whole scenario to the loader (an alias expands to the full value), and a file of 1,430
/// scenarios stays well under the 1 MiB a spec file may have.
fn generate(dir: &Path, copies: usize) {
    std::fs::copy("specs/catalogue.yaml", dir.join("catalogue.yaml")).expect("the catalogue");
    for api in ["awa_inbox_actions", "conversation_member", "interaction"] {
        for entry in std::fs::read_dir(Path::new("specs").join(api)).expect("the specs") {
            let path = entry.expect("an entry").path();
            let text = std::fs::read_to_string(&path).expect("a spec");
            let mut value: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
            value.apply_merge().expect("merge keys");
            let file: serde_json::Value = serde_yaml::from_value(value).expect("JSON-like");
            let mut out = format!("api: {}\noperation: {}\n", file["api"], file["operation"]);
            if let Some(variants) = file.get("variants") {
                out.push_str(&format!("variants: {variants}\n"));
            }
            out.push_str("shared:\n");
            let scenarios = file["scenarios"].as_array().expect("scenarios");
            let mut names = Vec::new();
            for (i, scenario) in scenarios.iter().enumerate() {
                let mut body = scenario.clone();
                let name = body
                    .as_object_mut()
                    .and_then(|o| o.remove("name"))
                    .and_then(|n| n.as_str().map(str::to_string))
                    .expect("a name");
                out.push_str(&format!("  s{i}: &s{i} {body}\n"));
                names.push(name);
            }
            out.push_str("scenarios:\n");
            for k in 0..copies {
                for (i, name) in names.iter().enumerate() {
                    let named = serde_json::Value::String(format!("{name} #{k}"));
                    out.push_str(&format!("  - {{<<: *s{i}, name: {named}}}\n"));
                }
            }
            let to = dir.join(api);
            std::fs::create_dir_all(&to).expect("a directory");
            std::fs::write(to.join(path.file_name().expect("a name")), out)
                .expect("the spec is written");
        }
    }
}

/// In the child: load the tree, print "milliseconds scenarios peak-kB".
fn child(dir: &str) {
    let started = Instant::now();
    let inputs = sn_conform::inputs::load(Some(dir.as_ref()), Some("schemas".as_ref()))
        .unwrap_or_else(|e| panic!("the generated tree must load:\n{e}"));
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    println!("{ms} {} {peak_kb}", inputs.suite.scenarios.len());
}

/// Loads the tree in a child process: (milliseconds, scenarios, peak MB).
fn measure(dir: &Path) -> (f64, usize, f64) {
    let out = Command::new(std::env::current_exe().expect("this benchmark"))
        .env("SN_SCALE_CHILD", dir)
        .output()
        .expect("the child runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .last()
        .expect("the child prints its measurement");
    let mut parts = line.split_whitespace();
    let ms: f64 = parts.next().and_then(|v| v.parse().ok()).expect("ms");
    let scenarios: usize = parts.next().and_then(|v| v.parse().ok()).expect("count");
    let kb: f64 = parts.next().and_then(|v| v.parse().ok()).expect("kB");
    (ms, scenarios, kb / 1024.0)
}

fn main() {
    if let Ok(dir) = std::env::var("SN_SCALE_CHILD") {
        child(&dir);
        return;
    }
    // `SN_SCALE_GENERATE=DIR:COPIES` only writes a tree (to profile its loading by hand).
    if let Some((dir, copies)) = std::env::var("SN_SCALE_GENERATE")
        .ok()
        .as_deref()
        .and_then(|v| v.rsplit_once(':'))
    {
        std::fs::create_dir_all(dir).expect("the directory");
        generate(Path::new(dir), copies.parse().expect("a number of copies"));
        return;
    }
    let rounds = support::rounds(3);
    let mut results = Vec::new();
    for copies in [14, 140] {
        let dir = tempfile::tempdir().expect("a temp dir");
        generate(dir.path(), copies);
        let (mut times, mut peaks, mut count) = (Vec::new(), Vec::new(), 0);
        for round in 0..rounds {
            let (ms, scenarios, mb) = measure(dir.path());
            println!("round {round}: {scenarios} scenarios loaded in {ms:.0} ms, peak {mb:.1} MB");
            times.push(ms);
            peaks.push(mb);
            count = scenarios;
        }
        results.push((count, support::median(times), support::median(peaks)));
    }
    let (small, large) = (results[0], results[1]);
    println!("scale (load and validate), median of {rounds} rounds:");
    for (count, ms, mb) in &results {
        println!(
            "  {count:6} scenarios  {ms:8.0} ms  {:.2} ms per scenario  peak {mb:6.1} MB",
            ms / *count as f64
        );
    }
    let ratio = large.1 / small.1;
    println!(
        "  {} / {} scenarios: {ratio:.2}x the time   target < 10x   {}",
        large.0,
        small.0,
        support::verdict(ratio < 10.0)
    );
    println!(
        "  peak memory at {}: {:.1} MB          target < 200 MB  {}",
        large.0,
        large.2,
        support::verdict(large.2 < 200.0)
    );
}
