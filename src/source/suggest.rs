//! "Did you mean": the known name closest to a misspelt one, when one is close enough to be
//! what the writer meant (`expcet` -> `expect`, `$mtach` -> `$match`).

/// The candidate closest to `word` by edit distance, if it is within a third of the word's
/// length (at least one edit, at most three).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)`, or nothing.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map_or(String::new(), |c| format!(" (did you mean `{c}`?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let keys = ["name", "request", "expect", "capture", "cleanup", "record"];
        assert_eq!(closest("expcet", keys), Some("expect"));
        assert_eq!(closest("reqest", keys), Some("request"));
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(
            hint("$mtach", ["$match", "$regex"]),
            " (did you mean `$match`?)"
        );
    }
}
