//! The `javascript:` values clients put in encoded queries, evaluated as the platform would:
//! the caller (`gs.getUserID()`, `gs.getUserName()`), a date (`gs.dateGenerate(...)`), and the
//! relative dates list filters send (`gs.beginningOfToday()`, `gs.endOfThisMonth()`,
//! `gs.daysAgo(7)`, ...). Anything else is refused by name: the mock runs no script, and a
//! silent non-match would hide it.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::query::QueryError;

/// Who asks, and when (UTC, the mock's time zone).
pub struct ScriptContext {
    pub user_id: String,
    pub user_name: String,
    pub now: NaiveDateTime,
}

impl ScriptContext {
    /// The context of `user` now.
    pub fn now(user_id: String, user_name: String) -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let now = i64::try_from(seconds)
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        Self {
            user_id,
            user_name,
            now,
        }
    }
}

/// What a query value stands for: `None` when it is not a script, its value when the mock
/// knows the function, an error naming it otherwise.
pub fn evaluate(value: &str, ctx: &ScriptContext) -> Result<Option<String>, QueryError> {
    let Some(script) = value.strip_prefix("javascript:") else {
        return Ok(None);
    };
    let script = script.trim().trim_end_matches(';').trim();
    let refuse = |reason: &str| QueryError {
        term: value.to_string(),
        reason: reason.to_string(),
    };
    let (name, args) = call(script).ok_or_else(|| refuse("not a call the mock evaluates"))?;
    let day = ctx.now.date();
    let start = |d: NaiveDate| d.and_time(NaiveTime::MIN);
    let end = |d: NaiveDate| d.and_hms_opt(23, 59, 59).unwrap_or_default();
    let number = |i: usize| -> Result<i64, QueryError> {
        args.get(i)
            .and_then(|a| a.trim().parse().ok())
            .ok_or_else(|| refuse("expects a number"))
    };
    let week = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    let month = day.with_day(1).unwrap_or(day);
    let year = NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day);
    let months = |from: NaiveDate, n: i32| {
        from.checked_add_months(chrono::Months::new(n.unsigned_abs()))
            .filter(|_| n >= 0)
            .or_else(|| from.checked_sub_months(chrono::Months::new(n.unsigned_abs())))
    };
    let at: NaiveDateTime = match name {
        "gs.getUserID" => return Ok(Some(ctx.user_id.clone())),
        "gs.getUserName" => return Ok(Some(ctx.user_name.clone())),
        "gs.dateGenerate" => {
            let date = args
                .first()
                .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
                .ok_or_else(|| refuse("expects a date, YYYY-MM-DD"))?;
            let time = match args.get(1).map(|t| t.trim()) {
                None | Some("start") => NaiveTime::MIN,
                Some("end") => NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default(),
                Some(t) => NaiveTime::parse_from_str(t, "%H:%M:%S")
                    .map_err(|_| refuse("expects a time, HH:MM:SS, start or end"))?,
            };
            date.and_time(time)
        }
        "gs.now" | "gs.nowDateTime" => ctx.now,
        "gs.beginningOfToday" => start(day),
        "gs.endOfToday" => end(day),
        "gs.beginningOfYesterday" => start(day - Duration::days(1)),
        "gs.endOfYesterday" => end(day - Duration::days(1)),
        "gs.beginningOfTomorrow" => start(day + Duration::days(1)),
        "gs.endOfTomorrow" => end(day + Duration::days(1)),
        "gs.beginningOfThisWeek" => start(week),
        "gs.endOfThisWeek" => end(week + Duration::days(6)),
        "gs.beginningOfLastWeek" => start(week - Duration::days(7)),
        "gs.endOfLastWeek" => end(week - Duration::days(1)),
        "gs.beginningOfNextWeek" => start(week + Duration::days(7)),
        "gs.endOfNextWeek" => end(week + Duration::days(13)),
        "gs.beginningOfThisMonth" => start(month),
        "gs.endOfThisMonth" => end(months(month, 1).unwrap_or(month) - Duration::days(1)),
        "gs.beginningOfLastMonth" => start(months(month, -1).unwrap_or(month)),
        "gs.endOfLastMonth" => end(month - Duration::days(1)),
        "gs.beginningOfNextMonth" => start(months(month, 1).unwrap_or(month)),
        "gs.endOfNextMonth" => end(months(month, 2).unwrap_or(month) - Duration::days(1)),
        "gs.beginningOfThisYear" => start(year),
        "gs.endOfThisYear" => end(months(year, 12).unwrap_or(year) - Duration::days(1)),
        "gs.beginningOfLastYear" => start(months(year, -12).unwrap_or(year)),
        "gs.endOfLastYear" => end(year - Duration::days(1)),
        "gs.beginningOfNextYear" => start(months(year, 12).unwrap_or(year)),
        "gs.endOfNextYear" => end(months(year, 24).unwrap_or(year) - Duration::days(1)),
        "gs.daysAgo" => ctx.now - Duration::days(number(0)?),
        "gs.daysAgoStart" => start(day - Duration::days(number(0)?)),
        "gs.daysAgoEnd" => end(day - Duration::days(number(0)?)),
        "gs.hoursAgo" => ctx.now - Duration::hours(number(0)?),
        "gs.minutesAgo" => ctx.now - Duration::minutes(number(0)?),
        other => {
            return Err(refuse(&format!(
                "the mock does not evaluate `{other}()` (it knows gs.getUserID, gs.getUserName, gs.dateGenerate, gs.daysAgo and the gs.beginningOf.../gs.endOf... family)"
            )))
        }
    };
    Ok(Some(at.format("%Y-%m-%d %H:%M:%S").to_string()))
}

/// `name(arg, 'arg')`: the function's name and its arguments, quotes taken off.
fn call(script: &str) -> Option<(&str, Vec<String>)> {
    let (name, rest) = script.split_once('(')?;
    let inner = rest.strip_suffix(')')?;
    let args = if inner.trim().is_empty() {
        Vec::new()
    } else {
        inner
            .split(',')
            .map(|a| a.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
            .collect()
    };
    Some((name.trim(), args))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ScriptContext {
        ScriptContext {
            user_id: "6816f79cc0a8016401c5a33be04be441".into(),
            user_name: "admin".into(),
            // A Wednesday.
            now: NaiveDate::from_ymd_opt(2026, 12, 2)
                .unwrap()
                .and_hms_opt(15, 30, 0)
                .unwrap(),
        }
    }

    fn eval(value: &str) -> String {
        evaluate(value, &ctx()).unwrap().unwrap()
    }

    #[test]
    fn the_functions_clients_send_evaluate_as_the_platform_would() {
        assert_eq!(evaluate("plain", &ctx()).unwrap(), None);
        assert_eq!(eval("javascript:gs.getUserID()"), ctx().user_id);
        assert_eq!(eval("javascript:gs.getUserName()"), "admin");
        assert_eq!(
            eval("javascript:gs.dateGenerate('2026-01-31','12:00:00')"),
            "2026-01-31 12:00:00"
        );
        assert_eq!(
            eval("javascript:gs.dateGenerate('2026-01-31','end')"),
            "2026-01-31 23:59:59"
        );
        assert_eq!(
            eval("javascript:gs.beginningOfToday()"),
            "2026-12-02 00:00:00"
        );
        assert_eq!(
            eval("javascript:gs.endOfYesterday()"),
            "2026-12-01 23:59:59"
        );
        assert_eq!(
            eval("javascript:gs.beginningOfThisWeek()"),
            "2026-11-30 00:00:00"
        );
        assert_eq!(
            eval("javascript:gs.endOfThisMonth()"),
            "2026-12-31 23:59:59"
        );
        assert_eq!(
            eval("javascript:gs.beginningOfLastMonth()"),
            "2026-11-01 00:00:00"
        );
        assert_eq!(eval("javascript:gs.endOfLastYear()"), "2025-12-31 23:59:59");
        assert_eq!(eval("javascript:gs.daysAgo(7)"), "2026-11-25 15:30:00");
        assert_eq!(eval("javascript:gs.daysAgoStart(1)"), "2026-12-01 00:00:00");
    }

    #[test]
    fn anything_else_is_refused_by_name() {
        let e = evaluate("javascript:1+1", &ctx()).unwrap_err();
        assert!(e.to_string().contains("not a call"), "{e}");
        let e = evaluate("javascript:new GlideRecord('x')", &ctx()).unwrap_err();
        assert!(e.to_string().contains("`new GlideRecord()`"), "{e}");
        let e = evaluate("javascript:gs.getUser().getManager()", &ctx()).unwrap_err();
        assert!(e.to_string().contains("javascript:"), "{e}");
        let e = evaluate("javascript:gs.beginningOfLast15Minutes()", &ctx()).unwrap_err();
        assert!(
            e.to_string()
                .contains("does not evaluate `gs.beginningOfLast15Minutes()`"),
            "{e}"
        );
    }
}
