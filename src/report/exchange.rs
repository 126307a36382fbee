//! One HTTP request and its answer as the reports keep it, credentials redacted, and where it
//! came from ([`Origin`]: a step, a fixture, a setting, teardown, the clean-up, the doctor,
//! the pre-run check, a token request).
//!
//! `report.json` writes the origin both as a value (`origin`) and as the words reports have
//! always used (`during`: `step "accept the work item"`, `fixture `agent``, `doctor:
//! sys_user`, ...); a report written before `origin` existed reads it back from `during`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};

/// What sent a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A scenario's step.
    Step { name: String },
    /// A fixture's record: created for the trial, created once for the run (`shared`), or an
    /// existing record read (`pinned`).
    Fixture {
        id: String,
        #[serde(default)]
        shared: bool,
        #[serde(default)]
        pinned: bool,
    },
    /// An instance-wide setting changed for a phase.
    Setting { name: String },
    /// An instance-wide setting put back.
    Restore { name: String },
    /// A trial's teardown, or the end of the run, deleting what it made (`what` names it).
    Teardown { what: String },
    /// The sweep of a ledger (the end of a run, `sn-conform cleanup`).
    CleanUp { record: String, trial: String },
    /// One of the doctor's checks (`what`: the table read, `create`, `delete`).
    Doctor { what: String },
    /// The one request before the trials that says whether the target answers at all.
    PreRun,
    /// The OAuth token endpoint: the password grant, or the refresh grant.
    Token { refresh: bool },
    /// Written by an earlier release in words this one does not know.
    Recorded { during: String },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Step { name } => write!(f, "step \"{name}\""),
            Origin::Fixture {
                id, pinned: true, ..
            } => write!(f, "fixture `{id}` (pinned)"),
            Origin::Fixture {
                id, shared: true, ..
            } => write!(f, "shared fixture `{id}`"),
            Origin::Fixture { id, .. } => write!(f, "fixture `{id}`"),
            Origin::Setting { name } => write!(f, "property {name}"),
            Origin::Restore { name } => write!(f, "restore of {name}"),
            Origin::Teardown { what } => write!(f, "cleanup of {what}"),
            Origin::CleanUp { record, trial } => write!(f, "cleanup of {record} (from {trial})"),
            Origin::Doctor { what } => write!(f, "doctor: {what}"),
            Origin::PreRun => f.write_str("pre-run check"),
            Origin::Token { refresh: false } => f.write_str("OAuth token"),
            Origin::Token { refresh: true } => f.write_str("OAuth refresh"),
            Origin::Recorded { during } => f.write_str(during),
        }
    }
}

impl Origin {
    /// The origin an earlier release described in `during` (the words [`Origin`]'s `Display`
    /// writes); words it does not know are kept as they are.
    pub fn from_words(during: &str) -> Self {
        let quoted = |text: &str, open: char, close: char| {
            text.strip_prefix(open)
                .and_then(|t| t.strip_suffix(close))
                .map(str::to_string)
        };
        let found = if let Some(rest) = during.strip_prefix("step ") {
            quoted(rest, '"', '"').map(|name| Origin::Step { name })
        } else if let Some(rest) = during.strip_prefix("shared fixture ") {
            quoted(rest, '`', '`').map(|id| Origin::Fixture {
                id,
                shared: true,
                pinned: false,
            })
        } else if let Some(rest) = during.strip_prefix("fixture ") {
            match rest.strip_suffix(" (pinned)") {
                Some(rest) => quoted(rest, '`', '`').map(|id| Origin::Fixture {
                    id,
                    shared: false,
                    pinned: true,
                }),
                None => quoted(rest, '`', '`').map(|id| Origin::Fixture {
                    id,
                    shared: false,
                    pinned: false,
                }),
            }
        } else if let Some(name) = during.strip_prefix("property ") {
            Some(Origin::Setting { name: name.into() })
        } else if let Some(name) = during.strip_prefix("restore of ") {
            Some(Origin::Restore { name: name.into() })
        } else if let Some(rest) = during.strip_prefix("cleanup of ") {
            Some(
                match rest
                    .split_once(" (from ")
                    .and_then(|(record, trial)| Some((record, trial.strip_suffix(')')?)))
                {
                    Some((record, trial)) => Origin::CleanUp {
                        record: record.into(),
                        trial: trial.into(),
                    },
                    None => Origin::Teardown { what: rest.into() },
                },
            )
        } else if let Some(what) = during.strip_prefix("doctor: ") {
            Some(Origin::Doctor { what: what.into() })
        } else {
            match during {
                "pre-run check" => Some(Origin::PreRun),
                "OAuth token" => Some(Origin::Token { refresh: false }),
                "OAuth refresh" => Some(Origin::Token { refresh: true }),
                _ => None,
            }
        };
        found.unwrap_or_else(|| Origin::Recorded {
            during: during.to_string(),
        })
    }
}

/// One HTTP request and its answer, with credentials redacted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "ExchangeIn")]
pub struct ExchangeRecord {
    /// What sent it.
    pub origin: Origin,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    /// Which credentials it carried (`default`, `none`, `wrong_password`, `norole`,
    /// `wrong_token`, `expired_token`): never the credentials themselves.
    pub auth: Option<String>,
    /// Absent when no answer came (see `error`).
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    /// When the request left, in milliseconds since the Unix epoch: with `duration_ms`, enough
    /// to see from a report which exchanges overlapped.
    pub started_at_ms: f64,
    pub duration_ms: f64,
    /// The answer body's shape: each field path (`result.sys_id`, `result[].name`) and its
    /// JSON type, for drift between runs; absent when the body was not JSON (or XML).
    pub shape: Option<BTreeMap<String, String>>,
    /// For a step's answer: the JSON Schema it was checked against.
    pub schema: Option<String>,
    /// Field paths of the answer that schema does not name.
    pub undocumented: Vec<String>,
    /// The Batch API request it went out in, as one of its items, when it was not sent on
    /// its own: that request's URL and batch id (`.../api/now/v1/batch#7`). Its timing is
    /// the batch's.
    pub batch: Option<String>,
}

impl ExchangeRecord {
    /// Whether a scenario's step sent it (rather than a fixture, a cleanup or the doctor).
    pub fn is_step(&self) -> bool {
        matches!(self.origin, Origin::Step { .. })
    }

    /// The answer's `Content-Type`, if it had one.
    pub fn content_type(&self) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str())
    }
}

/// The exchange as `report.json` holds it.
#[derive(Serialize)]
struct ExchangeOut<'a> {
    during: String,
    origin: &'a Origin,
    method: &'a str,
    url: &'a str,
    request_headers: &'a [(String, String)],
    #[serde(skip_serializing_if = "Option::is_none")]
    request_body: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    response_headers: &'a [(String, String)],
    #[serde(skip_serializing_if = "Option::is_none")]
    response_body: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: &'a Option<String>,
    started_at_ms: f64,
    duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    shape: &'a Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: &'a Option<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    undocumented: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    batch: &'a Option<String>,
}

impl Serialize for ExchangeRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ExchangeOut {
            during: self.origin.to_string(),
            origin: &self.origin,
            method: &self.method,
            url: &self.url,
            request_headers: &self.request_headers,
            request_body: &self.request_body,
            auth: &self.auth,
            status: self.status,
            response_headers: &self.response_headers,
            response_body: &self.response_body,
            error: &self.error,
            started_at_ms: self.started_at_ms,
            duration_ms: self.duration_ms,
            shape: &self.shape,
            schema: &self.schema,
            undocumented: &self.undocumented,
            batch: &self.batch,
        }
        .serialize(s)
    }
}

/// The exchange as any release's `report.json` holds it.
#[derive(Deserialize)]
struct ExchangeIn {
    during: String,
    #[serde(default)]
    origin: Option<Origin>,
    method: String,
    url: String,
    request_headers: Vec<(String, String)>,
    #[serde(default)]
    request_body: Option<String>,
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    status: Option<u16>,
    response_headers: Vec<(String, String)>,
    #[serde(default)]
    response_body: Option<String>,
    #[serde(default)]
    error: Option<String>,
    started_at_ms: f64,
    duration_ms: f64,
    #[serde(default)]
    shape: Option<BTreeMap<String, String>>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    undocumented: Vec<String>,
    #[serde(default)]
    batch: Option<String>,
}

impl From<ExchangeIn> for ExchangeRecord {
    fn from(x: ExchangeIn) -> Self {
        Self {
            origin: x.origin.unwrap_or_else(|| Origin::from_words(&x.during)),
            method: x.method,
            url: x.url,
            request_headers: x.request_headers,
            request_body: x.request_body,
            auth: x.auth,
            status: x.status,
            response_headers: x.response_headers,
            response_body: x.response_body,
            error: x.error,
            started_at_ms: x.started_at_ms,
            duration_ms: x.duration_ms,
            shape: x.shape,
            schema: x.schema,
            undocumented: x.undocumented,
            batch: x.batch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_origin_reads_back_from_its_own_words() {
        let all = [
            Origin::Step {
                name: "accept the work item".into(),
            },
            Origin::Fixture {
                id: "agent".into(),
                shared: false,
                pinned: false,
            },
            Origin::Fixture {
                id: "agent".into(),
                shared: true,
                pinned: false,
            },
            Origin::Fixture {
                id: "channel".into(),
                shared: false,
                pinned: true,
            },
            Origin::Setting {
                name: "glide.awa.enabled".into(),
            },
            Origin::Restore {
                name: "glide.awa.enabled".into(),
            },
            Origin::Teardown {
                what: "fixture `agent`".into(),
            },
            Origin::CleanUp {
                record: "sys_user/0123".into(),
                trial: "a/b::reasons (empty)".into(),
            },
            Origin::Doctor {
                what: "sys_user".into(),
            },
            Origin::PreRun,
            Origin::Token { refresh: false },
            Origin::Token { refresh: true },
        ];
        for origin in all {
            assert_eq!(Origin::from_words(&origin.to_string()), origin);
        }
        assert_eq!(
            Origin::from_words("something else"),
            Origin::Recorded {
                during: "something else".into()
            }
        );
    }
}
