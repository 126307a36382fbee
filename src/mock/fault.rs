//! Deliberate deviations from the documents, switched on only by tests and by
//! `sn-conform mock --fault NAME`, to prove the suite notices each one.
//!
//! Each fault breaks exactly one documented behaviour in one way.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($($variant:ident => $name:literal : $what:literal,)*) => {
        /// One broken behaviour of the mock.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault { $($variant,)* }

        impl Fault {
            pub const ALL: &'static [Fault] = &[$(Fault::$variant,)*];

            /// The kebab-case name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name,)* }
            }

            /// What the fault breaks, for `--help` and test messages.
            pub fn description(self) -> &'static str {
                match self { $(Fault::$variant => $what,)* }
            }
        }
    };
}

faults! {
    AcceptWrongStatus => "accept-wrong-status": "accept answers 201 instead of 200",
    AcceptSkipsState => "accept-skips-state": "accept leaves the work item's state unchanged",
    AcceptMissingDocumentTable => "accept-missing-document-table": "accept's result lacks documentTable",
    RejectKeepsAssignee => "reject-keeps-assignee": "reject does not empty assigned_to",
    RejectUnknownAgent400 => "reject-unknown-agent-400": "reject answers 400 instead of 404 for an unknown agent",
    RejectReasonsOrderAsString => "reject-reasons-order-as-string": "reject_reasons gives order as a string",
    RejectReasonsOrderedAsText => "reject-reasons-ordered-as-text": "reject_reasons sorts by order as text (\"10\" before \"9\"), not as a number",
    RejectReasonsUnsorted => "reject-reasons-unsorted": "reject_reasons lists reasons in creation order, not by order",
    RoleNotEnforced => "role-not-enforced": "a caller without awa_integration_user is let through",
    AwaDisabledIgnored => "awa-disabled-ignored": "glide.awa.enabled=false does not block the AWA operations",
    AnonymousAllowed => "anonymous-allowed": "a request without credentials is served as admin",
    ErrorEnvelopeWithoutStatus => "error-envelope-without-status": "error bodies lack \"status\": \"failure\"",
    UnauthenticatedWithoutChallenge => "unauthenticated-without-challenge": "401 answers lack WWW-Authenticate (a should-level deviation: HTTP asks for the header, the platform's documents do not promise it)",
    InteractionIgnoresQueue => "interaction-ignores-queue": "create leaves state new although a queue was given",
    ContextMapNotStored => "context-map-not-stored": "create makes the context record without the context map it was given",
    InteractionNumberMissing => "interaction-number-missing": "create's result lacks number",
    CloseWithoutClosedBy => "close-without-closed-by": "close leaves closed_by empty",
    DropKeepsActive => "drop-keeps-active": "drop leaves the member active",
    DropDeactivatesEveryone => "drop-deactivates-everyone": "drop deactivates every member of the conversation, not only the agent",
    AcceptClearsAssignee => "accept-clears-assignee": "accept empties the work item's assigned_to",
    DropActiveAsString => "drop-active-as-string": "drop gives conversation_member.active as the string \"false\"",
    UpdateAcceptsAnyType => "update-accepts-any-type": "update accepts a member_type other than public_fulfiller",
    UpdateRepeatSucceeds => "update-repeat-succeeds": "update answers 200 for a member already public_fulfiller",
    PutNotRouted => "put-not-routed": "the Conversation Member operations answer only POST, not PUT",
    VersionedUrlMissing => "versioned-url-missing": "the /api/now/v1/ URLs are not served",
    XmlErrorWithoutStatus => "xml-error-without-status": "XML error answers lack <status>failure</status>",
    XmlIgnored => "xml-ignored": "Accept: application/xml is answered in JSON",
    MessagesReworded => "messages-reworded": "error messages and details are worded differently from the documents (a should-level deviation)",
    MalformedJsonCrashes => "malformed-json-crashes": "a body that is not JSON answers 500 instead of 400",
    UnknownPathNotFound => "unknown-path-404": "a path that names no resource answers 404 instead of 400",
    MethodNotAllowedAs400 => "method-not-allowed-as-400": "a method a resource does not support answers 400 instead of 405",
    MethodNotAllowedWithoutStatus => "method-not-allowed-without-status": "405 answers lack \"status\": \"failure\" in their error envelope",
    JsonCharsetLatin1 => "json-charset-latin1": "JSON answers declare charset=ISO-8859-1 (a should-level deviation: JSON is UTF-8 by its RFC, no platform page names the parameter)",
    MethodNotAllowedWithoutAllow => "method-not-allowed-without-allow": "405 answers lack the Allow header (a should-level deviation: HTTP asks for the header, the platform's documents do not promise it)",
    AcceptIgnored => "accept-ignored": "an Accept the API cannot answer in is ignored instead of answered 406",
    ContentTypeIgnored => "content-type-ignored": "a body's unreadable Content-Type is ignored instead of answered 415",
    MediaErrorsAs500 => "media-errors-as-500": "an Accept or a Content-Type the API cannot use is answered 500 instead of 406 or 415",
    DictionaryMissingField => "dictionary-missing-field": "sys_dictionary lacks awa_work_item.rejected (the APIs still work; sn-conform doctor must name it)",
    InteractionDrifts => "interaction-drifts": "create and close give context as text, which the document's schema allows, and add a field the documents do not name (drift: every trial still passes; diff must report it)",
    TokenWithoutRefreshToken => "token-without-refresh-token": "token answers lack refresh_token",
    TokenWithoutExpiresIn => "token-without-expires-in": "token answers lack expires_in",
    RefreshGrantRefused => "refresh-grant-refused": "the refresh grant refuses (401) the refresh tokens the mock issued",
    RateLimitWithoutRetryAfter => "rate-limit-without-retry-after": "every 250th request is refused 429 as over a rate limit, without Retry-After",
    FirstAcceptFails => "first-accept-fails": "the first accept request answers 503, every later one is served (flaky: a retry passes)",
}

impl Fault {
    /// Whether the fault breaks only `should`-level behaviour (wording, the charset, the
    /// headers HTTP asks for that the platform's documents do not promise), so that only a
    /// `--strict` run fails on it.
    pub fn is_should_level(self) -> bool {
        matches!(
            self,
            Fault::MessagesReworded
                | Fault::UnauthenticatedWithoutChallenge
                | Fault::MethodNotAllowedWithoutAllow
                | Fault::JsonCharsetLatin1
        )
    }

    /// Whether the fault breaks only what the instance says about itself (its dictionary), not
    /// an API: `doctor` catches it, and a run ignores the trials it affects.
    pub fn is_metadata_only(self) -> bool {
        matches!(self, Fault::DictionaryMissingField)
    }

    /// Whether the fault changes answers only in ways the documents allow or do not mention:
    /// every trial still passes, and only a diff against an earlier run shows the drift.
    pub fn is_drift_only(self) -> bool {
        matches!(self, Fault::InteractionDrifts)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|fault| fault.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("unknown fault `{s}`; known faults: {}", names.join(", "))
            })
    }
}

/// The faults switched on for one mock; empty for a faithful mock.
#[derive(Debug, Clone, Default)]
pub struct FaultSet(BTreeSet<Fault>);

impl FaultSet {
    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }
}

impl FromIterator<Fault> for FaultSet {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}
