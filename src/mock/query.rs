//! The Table API's encoded query language (`sysparm_query`), parsed once into a typed query
//! and evaluated on the mock's records.
//!
//! `^` joins conditions (and), `^OR` joins a condition to the one before it (or), `^NQ` starts
//! a new query whose matches are added (or of the whole groups). Operators: `=`, `!=`, `<`,
//! `<=`, `>`, `>=`, `IN`, `NOT IN`, `STARTSWITH`, `ENDSWITH` (`%`), `LIKE` (`*`), `NOT LIKE`
//! (`!*`), `ISEMPTY` (`EMPTY`, `EMPTYSTRING`), `ISNOTEMPTY` (`NOTEMPTY`), `ANYTHING`, `SAMEAS`,
//! `NSAMEAS`, `BETWEEN` (`a@b`); the date, dynamic and related-list operators and the text
//! query are refused by name; `ORDERBY<field>` and `ORDERBYDESC<field>` order the result;
//! `EQ` (which the platform's own list views append) means nothing. A field may be dot-walked
//! through references: `assigned_to.user_name=admin`.
//!
//! ```
//! use sn_conform::mock::query;
//! let q = query::parse("active=true^stateINnew,queued^ORnumberSTARTSWITHIMS^ORDERBYDESCnumber").unwrap();
//! assert_eq!(q.order, vec![("number".to_string(), true)]);
//! let record = |field: &str| match field {
//!     "active" => "true".to_string(),
//!     "state" => "closed_complete".to_string(),
//!     "number" => "IMS0000001".to_string(),
//!     _ => String::new(),
//! };
//! assert!(q.matches(&record));
//! assert!(query::parse("active=true^stateFOO1").is_err());
//! ```

use std::cmp::Ordering;

/// One comparison of a field with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Eq(String),
    Ne(String),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    StartsWith(String),
    EndsWith(String),
    Like(String),
    NotLike(String),
    IsEmpty,
    IsNotEmpty,
    Between(String, String),
    /// `ANYTHING`: every value, the empty one included.
    Anything,
    /// `SAMEAS<field>`: the same value as another field of the record.
    SameAs(String),
    /// `NSAMEAS<field>`: a value different from another field's.
    NotSameAs(String),
}

/// `field` (possibly dot-walked) and what it must satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: String,
    pub op: Op,
}

/// A parsed query: groups joined by `^NQ`, each a list of terms that must all hold, each term
/// a list of conditions of which one must hold; then the order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub groups: Vec<Vec<Vec<Condition>>>,
    /// (field, descending), in the order given.
    pub order: Vec<(String, bool)>,
}

/// A term the parser does not understand, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{term}`: {reason}")]
pub struct QueryError {
    pub term: String,
    pub reason: String,
}

/// Operators, longest first so that `<=` is not read as `<`, nor `NOT IN` as something else.
/// The short forms `*` (contains), `!*` (does not contain) and `%` (ends with), `EMPTY` and
/// `NOTEMPTY`, `ANYTHING`, `EMPTYSTRING`, `SAMEAS` and `NSAMEAS` are the platform's too
/// (ServiceNowDocs, `platform-user-interface/r_OpAvailableFiltersQueries.md`).
const OPERATORS: &[&str] = &[
    "EMPTYSTRING",
    "ISNOTEMPTY",
    "STARTSWITH",
    "NOT LIKE",
    "NOTEMPTY",
    "ANYTHING",
    "ENDSWITH",
    "ISEMPTY",
    "BETWEEN",
    "NSAMEAS",
    "NOT IN",
    "SAMEAS",
    "EMPTY",
    "LIKE",
    "IN",
    "!*",
    "!=",
    "<=",
    ">=",
    "=",
    "<",
    ">",
    "*",
    "%",
];

/// Operators the platform documents that the mock does not serve: refused by name, never
/// read as something else (a date filter, a dynamic filter, a related-list query).
const UNSERVED: &[&str] = &[
    "IN_HIERARCHY",
    "RELATIVE",
    "DYNAMIC",
    "DATEPART",
    "MORETHAN",
    "LESSTHAN",
    "GT_FIELD",
    "LT_FIELD",
    "GT_OR_EQUALS_FIELD",
    "LT_OR_EQUALS_FIELD",
    "VALCHANGES",
    "CHANGESFROM",
    "CHANGESTO",
    "NOTON",
    "ON",
];

/// Parses an encoded query; the empty query matches every record.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let mut query = Query::default();
    for group_text in text.split("^NQ") {
        let mut group: Vec<Vec<Condition>> = Vec::new();
        for token in group_text.split('^') {
            if token.is_empty() || token == "EQ" {
                continue;
            }
            for (prefix, what) in [
                ("123TEXTQUERY321", "the text query (123TEXTQUERY321)"),
                ("IR_AND_OR_QUERY", "the text query (IR_AND_OR_QUERY)"),
                ("RLQUERY", "a related-list query (RLQUERY)"),
            ] {
                if token.starts_with(prefix) || token.starts_with(&format!("OR{prefix}")) {
                    return Err(QueryError {
                        term: token.into(),
                        reason: format!("{what} is documented, but the mock does not serve it"),
                    });
                }
            }
            if let Some(field) = token.strip_prefix("ORDERBYDESC") {
                query.order.push((field_name(token, field)?, true));
            } else if let Some(field) = token.strip_prefix("ORDERBY") {
                query.order.push((field_name(token, field)?, false));
            } else if let Some(rest) = token.strip_prefix("OR") {
                let condition = condition(token, rest)?;
                match group.last_mut() {
                    Some(term) => term.push(condition),
                    None => {
                        return Err(QueryError {
                            term: token.into(),
                            reason: "`^OR` needs a condition before it".into(),
                        })
                    }
                }
            } else {
                group.push(vec![condition(token, token)?]);
            }
        }
        if !group.is_empty() {
            query.groups.push(group);
        }
    }
    Ok(query)
}

fn field_name(term: &str, field: &str) -> Result<String, QueryError> {
    if is_field(field) {
        Ok(field.to_string())
    } else {
        Err(QueryError {
            term: term.into(),
            reason: "expected a field name".into(),
        })
    }
}

fn is_field(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
        && !text.starts_with('.')
        && !text.ends_with('.')
}

/// `field` then an operator then its value, from `text` (the whole token is `term`).
fn condition(term: &str, text: &str) -> Result<Condition, QueryError> {
    let end = text
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    let (field, rest) = text.split_at(end);
    let error = |reason: &str| QueryError {
        term: term.into(),
        reason: reason.into(),
    };
    if !is_field(field) {
        return Err(error("expected a field name first"));
    }
    if let Some(unserved) = UNSERVED.iter().find(|op| rest.starts_with(**op)) {
        return Err(error(&format!(
            "the operator {unserved} is documented, but the mock does not serve it"
        )));
    }
    let Some(operator) = OPERATORS.iter().find(|op| rest.starts_with(**op)) else {
        return Err(error(
            "unknown operator (known: =, !=, <, <=, >, >=, IN, NOT IN, STARTSWITH, ENDSWITH, %, LIKE, *, NOT LIKE, !*, ISEMPTY, EMPTY, ISNOTEMPTY, NOTEMPTY, EMPTYSTRING, ANYTHING, BETWEEN, SAMEAS, NSAMEAS)",
        ));
    };
    let value = rest[operator.len()..].to_string();
    let list = |v: &str| v.split(',').map(str::to_string).collect::<Vec<_>>();
    let op = match *operator {
        "=" => Op::Eq(value),
        "!=" => Op::Ne(value),
        "<" => Op::Lt(value),
        "<=" => Op::Le(value),
        ">" => Op::Gt(value),
        ">=" => Op::Ge(value),
        "IN" => Op::In(list(&value)),
        "NOT IN" => Op::NotIn(list(&value)),
        "STARTSWITH" => Op::StartsWith(value),
        "ENDSWITH" | "%" => Op::EndsWith(value),
        "LIKE" | "*" => Op::Like(value),
        "NOT LIKE" | "!*" => Op::NotLike(value),
        "ISEMPTY" | "ISNOTEMPTY" | "EMPTY" | "NOTEMPTY" | "ANYTHING" | "EMPTYSTRING"
            if !value.is_empty() =>
        {
            return Err(error("takes no value"));
        }
        // The mock keeps no null apart from the empty string: both read as empty.
        "ISEMPTY" | "EMPTY" | "EMPTYSTRING" => Op::IsEmpty,
        "ISNOTEMPTY" | "NOTEMPTY" => Op::IsNotEmpty,
        "ANYTHING" => Op::Anything,
        "SAMEAS" | "NSAMEAS" if !is_field(&value) => {
            return Err(error("SAMEAS and NSAMEAS take the name of another field"));
        }
        "SAMEAS" => Op::SameAs(value),
        "NSAMEAS" => Op::NotSameAs(value),
        "BETWEEN" => match value.split_once('@') {
            Some((low, high)) => Op::Between(low.to_string(), high.to_string()),
            None => return Err(error("BETWEEN takes two values joined by @ (low@high)")),
        },
        _ => return Err(error("unknown operator")),
    };
    Ok(Condition {
        field: field.to_string(),
        op,
    })
}

/// Numbers compare as numbers, everything else as text (the platform's date-times,
/// `YYYY-MM-DD HH:MM:SS`, sort correctly as text).
pub fn compare(a: &str, b: &str) -> Ordering {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

impl Op {
    /// Whether a field whose value is `actual` satisfies this. Text operators ignore case, as
    /// the platform's do.
    pub fn accepts(&self, actual: &str) -> bool {
        let lower = |s: &str| s.to_lowercase();
        match self {
            Op::Eq(v) => actual == v,
            // An empty field is not "not v": the platform leaves it out of `!=` and `NOT IN`
            // (KB0715430).
            Op::Ne(v) => !actual.is_empty() && actual != v,
            Op::Lt(v) => compare(actual, v) == Ordering::Less,
            Op::Le(v) => compare(actual, v) != Ordering::Greater,
            Op::Gt(v) => compare(actual, v) == Ordering::Greater,
            Op::Ge(v) => compare(actual, v) != Ordering::Less,
            Op::In(vs) => vs.iter().any(|v| v == actual),
            Op::NotIn(vs) => !actual.is_empty() && vs.iter().all(|v| v != actual),
            Op::StartsWith(v) => lower(actual).starts_with(&lower(v)),
            Op::EndsWith(v) => lower(actual).ends_with(&lower(v)),
            Op::Like(v) => lower(actual).contains(&lower(v)),
            Op::NotLike(v) => !lower(actual).contains(&lower(v)),
            Op::IsEmpty => actual.is_empty(),
            Op::IsNotEmpty => !actual.is_empty(),
            Op::Between(low, high) => {
                compare(actual, low) != Ordering::Less && compare(actual, high) != Ordering::Greater
            }
            Op::Anything => true,
            // Compared with the other field in `Query::matches`, which reads it.
            Op::SameAs(_) | Op::NotSameAs(_) => false,
        }
    }
}

impl Condition {
    /// Whether the record whose fields `value` reads satisfies this condition.
    fn holds(&self, value: &dyn Fn(&str) -> String) -> bool {
        match &self.op {
            Op::SameAs(other) => value(&self.field) == value(other),
            Op::NotSameAs(other) => value(&self.field) != value(other),
            op => op.accepts(&value(&self.field)),
        }
    }
}

impl Query {
    /// Whether the record whose (dot-walked) fields `value` reads matches.
    pub fn matches(&self, value: &dyn Fn(&str) -> String) -> bool {
        self.groups.is_empty()
            || self
                .groups
                .iter()
                .any(|group| group.iter().all(|term| term.iter().any(|c| c.holds(value))))
    }

    /// The query without the conditions and orderings whose field `known` refuses: the
    /// platform drops the invalid part of a query and answers by the rest (ServiceNowDocs,
    /// GlideRecord API: "the invalid part of the query condition is dropped"). A term whose
    /// every alternative is dropped goes with them. Returns whether anything was dropped.
    pub fn drop_unknown(&mut self, known: &dyn Fn(&str) -> bool) -> bool {
        let mut dropped = false;
        for group in &mut self.groups {
            for term in group.iter_mut() {
                let before = term.len();
                term.retain(|c| match &c.op {
                    Op::SameAs(other) | Op::NotSameAs(other) => known(&c.field) && known(other),
                    _ => known(&c.field),
                });
                dropped |= term.len() != before;
            }
            group.retain(|term| !term.is_empty());
        }
        // A group left with no term matches every record: nothing valid was left to filter by.
        let before = self.order.len();
        self.order.retain(|(f, _)| known(f));
        dropped |= self.order.len() != before;
        dropped
    }

    /// Every field the query names (conditions and order).
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.groups
            .iter()
            .flatten()
            .flatten()
            .flat_map(|c| {
                let other = match &c.op {
                    Op::SameAs(o) | Op::NotSameAs(o) => Some(o.as_str()),
                    _ => None,
                };
                std::iter::once(c.field.as_str()).chain(other)
            })
            .chain(self.order.iter().map(|(f, _)| f.as_str()))
    }

    /// Every value of the query through `f` (a `javascript:` value turned into what it
    /// stands for); the first error stops it.
    pub fn map_values(
        &mut self,
        f: &dyn Fn(&str) -> Result<Option<String>, QueryError>,
    ) -> Result<(), QueryError> {
        let apply = |v: &mut String| -> Result<(), QueryError> {
            if let Some(new) = f(v)? {
                *v = new;
            }
            Ok(())
        };
        for condition in self.groups.iter_mut().flatten().flatten() {
            match &mut condition.op {
                Op::Eq(v)
                | Op::Ne(v)
                | Op::Lt(v)
                | Op::Le(v)
                | Op::Gt(v)
                | Op::Ge(v)
                | Op::StartsWith(v)
                | Op::EndsWith(v)
                | Op::Like(v)
                | Op::NotLike(v) => apply(v)?,
                Op::In(vs) | Op::NotIn(vs) => {
                    for v in vs {
                        apply(v)?;
                    }
                }
                Op::Between(a, b) => {
                    apply(a)?;
                    apply(b)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `query` matches a record with `fields`.
    fn matches(query: &str, fields: &[(&str, &str)]) -> bool {
        let q = parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        let value = |f: &str| {
            fields
                .iter()
                .find(|(k, _)| *k == f)
                .map_or(String::new(), |(_, v)| v.to_string())
        };
        q.matches(&value)
    }

    const R: &[(&str, &str)] = &[
        ("name", "Chat Queue"),
        ("order", "10"),
        ("state", "queued"),
        ("empty", ""),
        ("assigned_to.user_name", "admin"),
    ];

    #[test]
    fn equal_and_not_equal() {
        assert!(matches("state=queued", R));
        assert!(!matches("state=new", R));
        assert!(matches("state!=new", R));
        assert!(!matches("state!=queued", R));
        // An empty field is not "not anything" (KB0715430).
        assert!(!matches("empty!=x", R));
    }

    #[test]
    fn the_platforms_short_forms_and_field_comparisons() {
        assert!(matches("name*HAT", R)); // contains
        assert!(!matches("name!*hat", R)); // does not contain
        assert!(matches("stateANYTHING", R) && matches("emptyANYTHING", R));
        assert!(matches("emptyEMPTYSTRING", R) && matches("emptyEMPTY", R));
        assert!(matches("stateNOTEMPTY", R));
        assert!(matches("stateSAMEASstate", R));
        assert!(matches("stateNSAMEASname", R));
        assert!(!matches("stateSAMEASname", R));
        for (query, named) in [
            (
                "sys_created_onONToday@javascript:gs.beginningOfToday()",
                "ON",
            ),
            ("callerDYNAMIC90d1921e5f510100a9ad2572f2b477fe", "DYNAMIC"),
            ("sys_created_onRELATIVEGT@hour@ago@3", "RELATIVE"),
            ("123TEXTQUERY321=email", "text query"),
            ("RLQUERYtask.parent,>=1^ENDRLQUERY", "related-list"),
        ] {
            let e = parse(query).unwrap_err().to_string();
            assert!(
                e.contains(named) && e.contains("does not serve"),
                "{query}: {e}"
            );
        }
        assert!(parse("stateSAMEAS").is_err());
    }

    #[test]
    fn unknown_fields_are_dropped_and_the_rest_decides() {
        let mut q = parse("state=queued^nosuch=1^ORstate=x^ORDERBYnosuch").unwrap();
        assert!(q.drop_unknown(&|f| f != "nosuch"));
        assert!(q.order.is_empty());
        assert_eq!(q.groups[0].len(), 2);
        let mut all_unknown = parse("nosuch=1").unwrap();
        assert!(all_unknown.drop_unknown(&|f| f != "nosuch"));
        assert!(
            all_unknown.matches(&|_| String::new()),
            "nothing valid left: every record"
        );
        let mut known = parse("state=queued").unwrap();
        assert!(!known.drop_unknown(&|_| true));
    }

    #[test]
    fn comparisons_are_numeric_for_numbers_and_textual_otherwise() {
        assert!(matches("order<11", R));
        assert!(!matches("order<9", R)); // 10 < 9 as text, not as numbers
        assert!(matches("order<=10", R));
        assert!(matches("order>9", R));
        assert!(!matches("order>10", R));
        assert!(matches("order>=10", R));
        assert!(matches("state>new", R));
    }

    #[test]
    fn in_and_not_in() {
        assert!(matches("stateINnew,queued", R));
        assert!(!matches("stateINnew,closed", R));
        assert!(matches("stateNOT INnew,closed", R));
        assert!(!matches("stateNOT INqueued", R));
        assert!(!matches("emptyNOT INa,b", R));
    }

    #[test]
    fn starts_ends_like_and_not_like_ignore_case() {
        assert!(matches("nameSTARTSWITHchat", R));
        assert!(!matches("nameSTARTSWITHQueue", R));
        assert!(matches("nameENDSWITHqueue", R));
        assert!(matches("nameLIKEt q", R));
        assert!(!matches("nameLIKEemail", R));
        assert!(matches("nameNOT LIKEemail", R));
        assert!(!matches("nameNOT LIKEchat", R));
    }

    #[test]
    fn is_empty_is_not_empty_and_between() {
        assert!(matches("emptyISEMPTY", R));
        assert!(matches("missingISEMPTY", R));
        assert!(!matches("nameISEMPTY", R));
        assert!(matches("nameISNOTEMPTY", R));
        assert!(matches("orderBETWEEN5@10", R));
        assert!(!matches("orderBETWEEN11@20", R));
        assert!(parse("orderBETWEEN5").is_err());
        assert!(parse("nameISEMPTYx").is_err());
    }

    #[test]
    fn and_or_and_new_query() {
        assert!(matches("state=new^ORstate=queued^order=10", R));
        assert!(!matches("state=new^ORstate=closed^order=10", R));
        assert!(!matches("state=queued^order=11", R));
        assert!(matches("state=new^NQorder=10", R));
        assert!(!matches("state=new^NQorder=11", R));
        assert!(parse("^ORstate=new").is_err());
    }

    #[test]
    fn order_by_and_eq_and_dot_walk() {
        let q = parse("state=queued^ORDERBYname^ORDERBYDESCorder^EQ").unwrap();
        assert_eq!(
            q.order,
            vec![("name".to_string(), false), ("order".to_string(), true)]
        );
        assert!(matches("assigned_to.user_name=admin", R));
        assert_eq!(
            parse("assigned_to.user_name=admin")
                .unwrap()
                .fields()
                .collect::<Vec<_>>(),
            vec!["assigned_to.user_name"]
        );
    }

    #[test]
    fn what_the_parser_does_not_know_is_an_error_naming_the_term() {
        let e = parse("state=queued^nameMATCHESx").unwrap_err();
        assert_eq!(e.term, "nameMATCHESx");
        assert!(e.reason.contains("unknown operator"));
        assert_eq!(parse("=x").unwrap_err().term, "=x");
        assert!(parse("ORDERBY").is_err());
        assert!(matches("", R));
    }
}
