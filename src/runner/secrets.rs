//! Every secret a run knows, redacted by value wherever it would be written or printed:
//! passwords, the Basic credentials in their encoded form, tokens as they are issued, client
//! secrets. Names-based redaction ([`super::redact`]) catches fields called `password`; this
//! catches the same secret echoed anywhere else (a body, a header, an error message).
//!
//! Each secret is kept in the forms it can take in text: as is, JSON-escaped, URL-encoded
//! and XML-escaped; a Basic credential also as its base64 form.

use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

use super::redact::REDACTED;
use crate::target::{Credentials, Target};

/// Secrets shorter than this are redacted only where they are named (the `Authorization`
/// header, fields called `password`): replacing every `p` of a report would wreck it, and a
/// three-letter password protects nothing anyway.
pub const MIN_SECRET_LEN: usize = 4;

/// The secrets of one run; new ones (tokens) are added as they arrive.
#[derive(Debug, Default)]
pub struct Secrets {
    forms: RwLock<Forms>,
}

/// The forms, and their matcher under the same lock, so that a redaction that begins after a
/// form was added always looks for it.
#[derive(Debug, Default)]
struct Forms {
    list: Vec<String>,
    /// Every form at once, made on the first redaction after a form was added: a run's
    /// reports and exchanges are searched once each, not once per form.
    matcher: Option<Arc<AhoCorasick>>,
}

impl Secrets {
    /// Adds every secret `target`'s credentials hold.
    pub fn add_target(&self, target: &Target) {
        let secrets = self;
        if target.public_credentials {
            return;
        }
        let add = |c: &Credentials| match c {
            Credentials::Basic { user, password } => {
                secrets.add_basic(user, password);
                secrets.add_basic(user, &crate::target::wrong(password));
            }
            Credentials::Bearer(token) => secrets.add(token),
            Credentials::OAuth {
                user,
                password,
                client_id,
                client_secret,
            } => {
                secrets.add_basic(user, password);
                secrets.add_basic(user, &crate::target::wrong(password));
                if !(client_id == crate::mock::BUILT_IN_OAUTH_CLIENT
                    && client_secret == crate::mock::BUILT_IN_OAUTH_CLIENT)
                {
                    secrets.add(client_secret);
                }
            }
        };
        add(&target.main);
        if let Some(norole) = &target.norole {
            add(norole);
        }
        // The built-in mock's documented client (`sn-conform`/`sn-conform`) is public.
        let built_in = crate::mock::BUILT_IN_OAUTH_CLIENT;
        if let Some((id, secret)) = &target.oauth_client {
            if !(id == built_in && secret == built_in) {
                secrets.add(secret);
            }
        }
    }

    /// Adds `secret` in every form it can take in text (see `MIN_SECRET_LEN`).
    pub fn add(&self, secret: &str) {
        if secret.chars().count() < MIN_SECRET_LEN {
            return;
        }
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json.trim_matches('"').to_string();
        let url: String = serde_urlencoded::to_string([("", secret)])
            .unwrap_or_default()
            .trim_start_matches('=')
            .to_string();
        let xml = secret
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let mut forms = self.forms.write().unwrap_or_else(|p| p.into_inner());
        for form in [secret.to_string(), json, url, xml] {
            if form.len() >= MIN_SECRET_LEN && !forms.list.contains(&form) {
                forms.list.push(form);
                // Made again, with the new form, on the next redaction.
                forms.matcher = None;
            }
        }
    }

    /// Adds a user's password and the Basic credential built from both. A password identical
    /// to its user name hides nothing (the user name is shown everywhere) and is not added
    /// by value: replacing it would blank out the user name, and any role or record that
    /// shares it, in every answer. Its Basic form is still added.
    pub fn add_basic(&self, user: &str, password: &str) {
        use base64::Engine;
        if password != user {
            self.add(password);
        }
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.add(&encoded);
    }

    /// `text` with every known secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        if let Some(matcher) = self.matcher() {
            return matcher.replace_all(text, &vec![REDACTED; matcher.patterns_len()]);
        }
        // No forms; or (never seen) too many for one matcher: then one form at a time, the
        // longest first so that a secret containing another is replaced whole.
        let forms = self.forms.read().unwrap_or_else(|p| p.into_inner());
        let mut longest_first: Vec<&String> = forms.list.iter().collect();
        longest_first.sort_by_key(|f| std::cmp::Reverse(f.len()));
        let mut out = text.to_string();
        for form in longest_first {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        out
    }

    /// The matcher of every form, made again when a form was added since the last one.
    fn matcher(&self) -> Option<Arc<AhoCorasick>> {
        if let Some(made) = &self.forms.read().unwrap_or_else(|p| p.into_inner()).matcher {
            return Some(Arc::clone(made));
        }
        let mut forms = self.forms.write().unwrap_or_else(|p| p.into_inner());
        if forms.matcher.is_none() && !forms.list.is_empty() {
            // Leftmost-longest: where a secret contains another, the whole of it is replaced.
            forms.matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(forms.list.iter())
                .ok()
                .map(Arc::new);
        }
        forms.matcher.clone()
    }

    /// Whether any secret is known (nothing to do otherwise).
    pub fn is_empty(&self) -> bool {
        self.forms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .list
            .is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_redacted_in_every_form() {
        let secrets = Secrets::default();
        secrets.add_basic("svc", "pa\"ss&w<rd 1");
        let text = format!(
            "plain pa\"ss&w<rd 1, json {}, form {}, xml pa\"ss&amp;w&lt;rd 1, basic {}",
            serde_json::to_string("pa\"ss&w<rd 1").unwrap(),
            serde_urlencoded::to_string([("p", "pa\"ss&w<rd 1")]).unwrap(),
            {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode("svc:pa\"ss&w<rd 1")
            }
        );
        let out = secrets.redact(&text);
        assert!(!out.contains("w<rd") && !out.contains("w&lt;rd") && !out.contains("w%3Crd"));
        assert!(!out.contains("c3Zj"), "{out}");
        assert_eq!(out.matches(REDACTED).count(), 5, "{out}");
    }

    #[test]
    fn a_secret_added_after_a_redaction_is_redacted_by_the_next_and_a_longer_one_whole() {
        let secrets = Secrets::default();
        assert_eq!(secrets.redact("token abcd1234"), "token abcd1234");
        secrets.add("abcd1234");
        assert_eq!(
            secrets.redact("token abcd1234"),
            format!("token {REDACTED}")
        );
        // A token that arrives during the run, containing the first secret.
        secrets.add("abcd1234-and-more");
        assert_eq!(
            secrets.redact("x abcd1234-and-more y abcd1234"),
            format!("x {REDACTED} y {REDACTED}")
        );
    }
}
