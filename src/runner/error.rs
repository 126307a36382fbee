//! The runner's errors, as types: why a request got no usable answer ([`RequestError`]),
//! why the run has no OAuth token to send ([`TokenError`]), and why a trial could not ask at
//! all ([`TrialError`], placed at its step or fixture by [`Broken`]). Nothing compares
//! their texts: the variants say what happened, the texts are for people.

use std::sync::Arc;

use super::ledger::LedgerError;
use super::secrets::Secrets;
pub use crate::report::Place;
use crate::report::{self, Cause};
use crate::spec::template::TemplateError;
use crate::spec::Format;

/// Why a request got no answer the run can use.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RequestError {
    /// A stop signal came first: the request never left, so it created nothing.
    #[error("interrupted (stop signal) before it was sent")]
    NeverSent,
    /// A stop signal came while it was in flight, and no answer followed in time.
    #[error("interrupted (stop signal) while waiting for an answer")]
    Abandoned,
    /// The method is not an HTTP method (a scenario's template made it so).
    #[error("`{0}` is not an HTTP method")]
    NotAMethod(String),
    /// It was sent (or the connection was tried) and no readable answer came back.
    #[error("{method} {url}: {failure}")]
    Exchange {
        method: String,
        url: String,
        failure: ExchangeFailure,
    },
    /// The run has no OAuth token to send.
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// What went wrong between sending a request and reading its answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExchangeFailure {
    #[error("the instance's certificate is not trusted ({0}): give its CA with --ca-cert")]
    Tls(String),
    #[error("cannot resolve the host name (DNS): {0}")]
    Dns(String),
    #[error("timed out (no answer within the timeout)")]
    TimedOut,
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("failed: {0}")]
    Other(String),
    #[error("the answer's body is {declared} bytes, more than --max-body ({max} bytes); it was not read")]
    DeclaredTooLarge { declared: u64, max: usize },
    #[error("the answer's body is larger than --max-body ({max} bytes); reading stopped there")]
    TooLarge { max: usize },
    #[error("reading the body failed: {0}")]
    BodyRead(String),
    #[error("the answer's body is not valid UTF-8 (from byte {0})")]
    NotUtf8(usize),
}

/// Why the run has no OAuth token to send.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    /// The token endpoint gave no token: `problem` names the grant and what it answered.
    #[error("{problem} (at {url})")]
    NoAccessToken { url: String, problem: String },
    /// The instance's tokens live too long to wait for one to expire.
    #[error("needs an expired token: the instance's tokens live {lifetime_s} s, longer than the {limit_s} s the run waits")]
    LivesTooLong { lifetime_s: u64, limit_s: u64 },
}

impl RequestError {
    /// What went wrong, without the request in front of it (`timed out (...)`).
    pub fn cause(&self) -> String {
        match self {
            RequestError::Exchange { failure, .. } => failure.to_string(),
            other => other.to_string(),
        }
    }

    /// Its kind, as the result model names it.
    pub fn cause_kind(&self) -> Cause {
        match self {
            RequestError::NeverSent => Cause::NeverSent,
            RequestError::Abandoned => Cause::Abandoned,
            RequestError::NotAMethod(_) => Cause::NotAMethod,
            RequestError::Token(_) => Cause::NoToken,
            RequestError::Exchange { failure, .. } => match failure {
                ExchangeFailure::Tls(_) => Cause::Tls,
                ExchangeFailure::Dns(_) => Cause::Dns,
                ExchangeFailure::TimedOut => Cause::TimedOut,
                ExchangeFailure::Connect(_) => Cause::Connect,
                ExchangeFailure::Other(_) => Cause::Transport,
                ExchangeFailure::DeclaredTooLarge { .. } | ExchangeFailure::TooLarge { .. } => {
                    Cause::TooLarge
                }
                ExchangeFailure::BodyRead(_) => Cause::BodyRead,
                ExchangeFailure::NotUtf8(_) => Cause::NotUtf8,
            },
        }
    }

    /// The error with every secret the run knows replaced in its texts (a URL or a library's
    /// message may quote one).
    pub(super) fn redacted(self, secrets: &Secrets) -> Self {
        if secrets.is_empty() {
            return self;
        }
        let text = |t: String| secrets.redact(&t);
        match self {
            RequestError::Exchange {
                method,
                url,
                failure,
            } => RequestError::Exchange {
                method,
                url: text(url),
                failure: match failure {
                    ExchangeFailure::Tls(t) => ExchangeFailure::Tls(text(t)),
                    ExchangeFailure::Dns(t) => ExchangeFailure::Dns(text(t)),
                    ExchangeFailure::Connect(t) => ExchangeFailure::Connect(text(t)),
                    ExchangeFailure::Other(t) => ExchangeFailure::Other(text(t)),
                    ExchangeFailure::BodyRead(t) => ExchangeFailure::BodyRead(text(t)),
                    other => other,
                },
            },
            RequestError::Token(TokenError::NoAccessToken { url, problem }) => {
                RequestError::Token(TokenError::NoAccessToken {
                    url: text(url),
                    problem: text(problem),
                })
            }
            other => other,
        }
    }
}

/// Why a trial could not ask its question: the exchange broke, not the instance deviated.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TrialError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The answer's body is needed and cannot be read in the format it declares.
    #[error("the {status} answer's body is not {}: {body}", match .format { Format::Json => "JSON", Format::Xml => "well-formed XML" })]
    Unreadable {
        status: u16,
        format: Format,
        body: String,
    },
    /// The ledger could not be written: a record the run made might not be found again.
    #[error(transparent)]
    Ledger(Arc<LedgerError>),
    /// The Table API refused to create a fixture's record.
    #[error("creating a {table} record answered {status} ({body})")]
    NotCreated {
        table: String,
        status: u16,
        body: String,
    },
    /// A pinned record could not be read.
    #[error("the pinned {table} record {sys_id} answered {status} ({body})")]
    PinnedUnreadable {
        table: String,
        sys_id: String,
        status: u16,
        body: String,
    },
    /// A lookup found no record.
    #[error("no {table} record matches `{query}` (answer {status}: {body})")]
    NoMatch {
        table: String,
        query: String,
        status: u16,
        body: String,
    },
    /// An instance-wide setting could not be changed.
    #[error("setting it answered {status}")]
    SettingRefused { status: u16 },
    /// The harness itself panicked (a bug of sn-conform's, reported rather than crashing).
    #[error("the harness panicked: {0}")]
    Panicked(String),
    /// A stop signal came before the steps were done.
    #[error("interrupted (Ctrl-C)")]
    Interrupted,
}

impl TrialError {
    /// Its kind, as the result model names it.
    pub fn cause(&self) -> Cause {
        match self {
            TrialError::Request(e) => e.cause_kind(),
            TrialError::Template(_) => Cause::UndefinedVariable,
            TrialError::Unreadable { .. } => Cause::UnreadableAnswer,
            TrialError::Ledger(_) => Cause::Ledger,
            TrialError::NotCreated { .. } => Cause::FixtureNotCreated,
            TrialError::PinnedUnreadable { .. } => Cause::PinnedUnreadable,
            TrialError::NoMatch { .. } => Cause::NoMatch,
            TrialError::SettingRefused { .. } => Cause::SettingRefused,
            TrialError::Panicked(_) => Cause::Panicked,
            TrialError::Interrupted => Cause::Interrupted,
        }
    }
}

impl From<LedgerError> for TrialError {
    fn from(e: LedgerError) -> Self {
        TrialError::Ledger(Arc::new(e))
    }
}

/// A trial that could not ask: what went wrong, and where, when it happened in a step or a
/// fixture.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Broken {
    pub at: Option<Place>,
    /// Boxed: a `Result` carrying a `Broken` stays small.
    pub error: Box<TrialError>,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl Broken {
    /// The same, as the result model keeps it.
    pub(super) fn to_report(&self) -> report::Broken {
        report::Broken {
            at: self.at.clone(),
            cause: self.error.cause(),
            detail: self.error.to_string(),
        }
    }

    pub(super) fn at(at: &Place, error: impl Into<TrialError>) -> Self {
        Self {
            at: Some(at.clone()),
            error: Box::new(error.into()),
        }
    }

    pub(super) fn nowhere(error: impl Into<TrialError>) -> Self {
        Self {
            at: None,
            error: Box::new(error.into()),
        }
    }
}

/// Why a record or a setting could not be put back.
#[derive(Debug, Clone)]
pub(super) enum NotPutBack {
    Request(RequestError),
    Answered(u16),
}

impl NotPutBack {
    /// How it failed, to follow the record's or setting's name in a message (`: timed out`,
    /// ` answered 500`).
    pub(super) fn how(&self) -> String {
        match self {
            NotPutBack::Request(e) => format!(": {e}"),
            NotPutBack::Answered(status) => format!(" answered {status}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts are what the reports have always said; the variants are what code matches.
    #[test]
    fn errors_read_as_before_and_are_told_apart_by_their_variants() {
        let timed_out = RequestError::Exchange {
            method: "GET".into(),
            url: "http://127.0.0.1:1/x".into(),
            failure: ExchangeFailure::TimedOut,
        };
        assert_eq!(
            timed_out.to_string(),
            "GET http://127.0.0.1:1/x: timed out (no answer within the timeout)"
        );
        assert_eq!(
            timed_out.cause(),
            "timed out (no answer within the timeout)"
        );
        let at = Place::Fixture {
            file: "specs/a.yaml".into(),
            line: 7,
            id: "agent".into(),
        };
        let broken = Broken::at(
            &at,
            TrialError::NotCreated {
                table: "sys_user".into(),
                status: 403,
                body: "{}".into(),
            },
        );
        assert_eq!(
            broken.to_string(),
            "specs/a.yaml:7: fixture `agent`: creating a sys_user record answered 403 ({})"
        );
        let token = RequestError::from(TokenError::LivesTooLong {
            lifetime_s: 1800,
            limit_s: 10,
        });
        assert_eq!(
            token.to_string(),
            "needs an expired token: the instance's tokens live 1800 s, longer than the 10 s the run waits"
        );
    }
}
