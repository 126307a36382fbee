//! `report.html`: a plain, self-contained page of the same results: the verdict banner, the
//! failures grouped by scenario, then a table per API, each failed trial with its messages and
//! exchanges in a collapsed section.

use std::fmt::Write;

use super::{Outcome, RunReport};

pub fn render(report: &RunReport) -> String {
    let s = &report.summary;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>sn-conform report</title>\n<style>\nbody{font-family:sans-serif;margin:2em;max-width:80em}\ntable{border-collapse:collapse;width:100%;margin-bottom:2em}\ntd,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}\n.passed{color:#176317}.failed{color:#b00020;font-weight:bold}.error{color:#8a4b00;font-weight:bold}.ignored{color:#666}\npre{white-space:pre-wrap;background:#f6f6f6;padding:.5em;margin:0}\n.verdict{font-size:1.4em;font-weight:bold;padding:.6em 1em;border-radius:.3em;color:#fff}\n.verdict.passed{background:#176317}.verdict.failed{background:#b00020}\n</style></head><body>\n");
    let _ = writeln!(out, "<h1>sn-conform report</h1>");
    let verdict = report.verdict();
    let _ = writeln!(
        out,
        "<div class=\"verdict {}\">{verdict}: {} passed, {} failed, {} errors, {} ignored, {} warned of {} trials</div>",
        verdict.to_ascii_lowercase(),
        s.passed, s.failed, s.error, s.ignored, s.warned, s.total
    );
    let _ = writeln!(
        out,
        "<p>{}, run of {}, against <code>{}</code> ({}), in {:.0} ms.</p>",
        esc(&report.tool),
        esc(&report.date),
        esc(&report.base_url),
        esc(&report.target_kind),
        report.duration_ms
    );
    let groups = report.failure_groups();
    if !groups.is_empty() {
        out.push_str("<h2>Failures</h2>\n<table><tr><th>scenario</th><th>outcome</th><th>variants</th><th>first message</th></tr>\n");
        for g in &groups {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td><pre>{}</pre></td></tr>",
                esc(&g.scenario),
                g.outcome.as_str(),
                g.outcome.as_str(),
                esc(&g.variants_text()),
                esc(&g.first_message)
            );
        }
        out.push_str("</table>\n");
    }
    if let Some(note) = report.selection.describe() {
        let _ = writeln!(out, "<p><b>Note:</b> {}.</p>", esc(&note));
    }
    let r = &report.records;
    let _ = writeln!(
        out,
        "<p>Records: {} created, {} left on the instance; {} setting change(s), {} not restored.</p>",
        r.created, r.left, r.settings_changed, r.settings_left
    );
    if let Some(doctor) = &report.doctor {
        let _ = writeln!(out, "<p>Doctor: {}</p>", esc(&doctor.counts_line()));
        let shown: Vec<_> = doctor
            .checks
            .iter()
            .filter(|c| c.status != crate::doctor::CheckStatus::Passed)
            .collect();
        if !shown.is_empty() {
            out.push_str("<ul>");
            for check in shown {
                let _ = write!(
                    out,
                    "<li><b>{}</b>: {}</li>",
                    esc(&check.title),
                    esc(&check.detail)
                );
            }
            out.push_str("</ul>\n");
        }
    }
    let left_out = report.left_out();
    if !left_out.is_empty() {
        out.push_str("<p>Left out:</p><ul>");
        for (reason, count) in &left_out {
            let _ = write!(out, "<li>{count} trial(s): {}</li>", esc(reason));
        }
        out.push_str("</ul>\n");
    }
    for (api, trials) in report.by_api() {
        let _ = writeln!(
            out,
            "<h2>{}</h2>\n<table><tr><th>trial</th><th>outcome</th><th>detail</th></tr>",
            esc(api)
        );
        for t in trials {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>",
                esc(&t.name),
                t.outcome.as_str(),
                t.outcome.as_str()
            );
            match t.outcome {
                Outcome::Ignored => out.push_str(&esc(t.reason.as_deref().unwrap_or(""))),
                Outcome::Flaky | Outcome::Failed | Outcome::Error => {
                    let first = t.attempts.first().map(|a| a.failures.join("\n"));
                    let _ = write!(
                        out,
                        "<pre>{}</pre>",
                        esc(&first.unwrap_or_else(|| t.failures.join("\n")))
                    );
                    let _ = write!(
                        out,
                        "<details><summary>{} exchange(s)</summary>",
                        t.exchanges.len()
                    );
                    for x in &t.exchanges {
                        let status = x
                            .status
                            .map_or_else(|| "no answer".to_string(), |s| s.to_string());
                        let _ = write!(
                            out,
                            "<pre>{} {} ({})\n{}\n→ {}\n{}</pre>",
                            esc(&x.method),
                            esc(&x.url),
                            esc(&x.during),
                            esc(x.request_body.as_deref().unwrap_or("")),
                            esc(&status),
                            esc(x
                                .response_body
                                .as_deref()
                                .or(x.error.as_deref())
                                .unwrap_or(""))
                        );
                    }
                    out.push_str("</details>");
                }
                Outcome::Passed => {}
            }
            if !t.warnings.is_empty() {
                let _ = write!(out, "<pre>warnings:\n{}</pre>", esc(&t.warnings.join("\n")));
            }
            out.push_str("</td></tr>\n");
        }
        out.push_str("</table>\n");
    }
    if let Some(coverage) = &report.coverage {
        let _ = writeln!(
            out,
            "<h2>Coverage of the documented cases</h2>\n<p>{} of {} documented cases covered.</p>",
            coverage.cases_covered, coverage.cases_total
        );
        out.push_str("<table><tr><th>operation</th><th>status</th><th>case</th><th>scenarios</th><th>outcome</th></tr>\n");
        for op in &coverage.operations {
            for case in &op.cases {
                let verdict = case.run.as_ref().map_or("not run", |r| r.verdict.as_str());
                let class = match verdict {
                    "passed" | "failed" | "error" | "ignored" => verdict,
                    _ => "ignored",
                };
                let scenarios = if case.scenarios.is_empty() {
                    "<b>not covered</b>".to_string()
                } else {
                    esc(&case.scenarios.join("; "))
                };
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{scenarios}</td><td class=\"{class}\">{}</td></tr>",
                    esc(&op.operation),
                    case.status,
                    esc(&case.id),
                    esc(verdict)
                );
            }
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
