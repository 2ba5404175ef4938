//! Cron-style 5-field time expressions: `minute hour day-of-month month day-of-week`.
//!
//! Each field takes `*`, a value (`5`, `mon`, `jan`), a range (`1-5`, `mon-fri`), a step
//! (`*/15`, `0-30/10`, `5/20` = from 5 to the field's end), or a comma list of those.
//! Day and month names are case-insensitive. Day of week: 0 and 7 are Sunday; a range
//! ending on Sunday may be written `sat-sun` or `fri-0`.
//!
//! Unlike classic cron, when both day-of-month and day-of-week are restricted BOTH must
//! match (`* * 1-7 * mon` is the first Monday of the month): a window is read as "every
//! field matches", never as an either-or.

use chrono::{Datelike, NaiveDateTime, Timelike};
use thiserror::Error;

/// A cron expression failed to parse; names the expression and the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CronError {
    #[error(
        "invalid cron expression '{expr}': expected 5 fields (minute hour day-of-month month day-of-week), found {found}"
    )]
    FieldCount { expr: String, found: usize },
    #[error("invalid cron expression '{expr}': {field} field '{value}': {message}")]
    Field {
        expr: String,
        field: &'static str,
        value: String,
        message: String,
    },
}

/// One field's rules: its name, bounds and the names it accepts.
struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The first name's value (jan = 1, sun = 0).
    names_start: u32,
}

const MINUTE: FieldSpec = FieldSpec {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
    names_start: 0,
};
const HOUR: FieldSpec = FieldSpec {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
    names_start: 0,
};
const DAY_OF_MONTH: FieldSpec = FieldSpec {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    names_start: 0,
};
const MONTH: FieldSpec = FieldSpec {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
    names_start: 1,
};
const DAY_OF_WEEK: FieldSpec = FieldSpec {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    names_start: 0,
};

/// A parsed expression: one bit set per field (bit n = value n allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    source: String,
    minutes: u64,
    hours: u64,
    days_of_month: u64,
    months: u64,
    /// Bit 0 = Sunday ... bit 6 = Saturday (7 is folded into 0).
    days_of_week: u64,
}

impl CronExpr {
    pub fn parse(expr: &str) -> Result<CronExpr, CronError> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError::FieldCount {
                expr: expr.to_owned(),
                found: fields.len(),
            });
        }
        let field = |spec: &FieldSpec, text: &str| {
            parse_field(spec, text).map_err(|message| CronError::Field {
                expr: expr.to_owned(),
                field: spec.name,
                value: text.to_owned(),
                message,
            })
        };
        let mut days_of_week = field(&DAY_OF_WEEK, fields[4])?;
        if days_of_week & (1 << 7) != 0 {
            days_of_week = (days_of_week & !(1 << 7)) | 1;
        }
        Ok(CronExpr {
            source: expr.to_owned(),
            minutes: field(&MINUTE, fields[0])?,
            hours: field(&HOUR, fields[1])?,
            days_of_month: field(&DAY_OF_MONTH, fields[2])?,
            months: field(&MONTH, fields[3])?,
            days_of_week,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the minute containing this wall-clock time matches.
    pub fn matches(&self, t: &NaiveDateTime) -> bool {
        let bit = |set: u64, v: u32| set & (1u64 << v) != 0;
        bit(self.minutes, t.minute())
            && bit(self.hours, t.hour())
            && bit(self.days_of_month, t.day())
            && bit(self.months, t.month())
            && bit(self.days_of_week, t.weekday().num_days_from_sunday())
    }
}

fn parse_field(spec: &FieldSpec, text: &str) -> Result<u64, String> {
    let mut set = 0u64;
    for part in text.split(',') {
        if part.is_empty() {
            return Err("empty list item".into());
        }
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("step '{s}' is not a number"))?;
                if step == 0 {
                    return Err("step must be at least 1".into());
                }
                (r, Some(step))
            }
            None => (part, None),
        };
        let (start, end) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let start = value(spec, a)?;
            let mut end = value(spec, b)?;
            // `sat-sun`, `fri-0`: a day-of-week range ending on Sunday means 7.
            if spec.name == DAY_OF_WEEK.name && end == 0 && start > 0 {
                end = 7;
            }
            if start > end {
                return Err(format!("range {a}-{b} starts after it ends"));
            }
            (start, end)
        } else {
            let v = value(spec, range)?;
            // `5/20`: from 5 to the field's end, every 20.
            (v, if step.is_some() { spec.max } else { v })
        };
        let step = step.unwrap_or(1) as usize;
        for v in (start..=end).step_by(step) {
            set |= 1u64 << v;
        }
    }
    Ok(set)
}

fn value(spec: &FieldSpec, text: &str) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = spec.names.iter().position(|n| *n == lower) {
        return Ok(spec.names_start + i as u32);
    }
    let v: u32 = text.parse().map_err(|_| {
        if spec.names.is_empty() {
            format!("'{text}' is not a number")
        } else {
            format!(
                "'{text}' is neither a number nor one of {}",
                spec.names.join(", ")
            )
        }
    })?;
    if v < spec.min || v > spec.max {
        return Err(format!("{v} is out of range {}-{}", spec.min, spec.max));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn bits(v: &[u32]) -> u64 {
        v.iter().fold(0, |s, b| s | 1u64 << b)
    }

    #[test]
    fn every_syntax_parses_to_the_right_values() {
        let e = CronExpr::parse("*/15 9-17 1,15,31 jan-mar,Dec mon-fri").unwrap();
        assert_eq!(e.minutes, bits(&[0, 15, 30, 45]));
        assert_eq!(e.hours, bits(&(9..=17).collect::<Vec<_>>()));
        assert_eq!(e.days_of_month, bits(&[1, 15, 31]));
        assert_eq!(e.months, bits(&[1, 2, 3, 12]));
        assert_eq!(e.days_of_week, bits(&[1, 2, 3, 4, 5]));

        let e = CronExpr::parse("0-30/10 5/6 * * *").unwrap();
        assert_eq!(e.minutes, bits(&[0, 10, 20, 30]));
        assert_eq!(e.hours, bits(&[5, 11, 17, 23]));
        assert_eq!(e.days_of_month, bits(&(1..=31).collect::<Vec<_>>()));

        // Sunday is 0 or 7; a range may end on Sunday.
        for dow in ["sat-sun", "6-7", "6,0", "SAT,SUN", "6-0", "sat,7"] {
            let e = CronExpr::parse(&format!("* * * * {dow}")).unwrap();
            assert_eq!(e.days_of_week, bits(&[0, 6]), "{dow}");
        }
        assert_eq!(
            CronExpr::parse("* * * * *").unwrap().days_of_week,
            bits(&[0, 1, 2, 3, 4, 5, 6])
        );
    }

    #[test]
    fn matching_needs_every_field_including_both_day_fields() {
        // 2025-03-03 is a Monday, 2025-03-10 the next one.
        let first_monday = CronExpr::parse("* * 1-7 * mon").unwrap();
        assert!(first_monday.matches(&at(2025, 3, 3, 12, 0)));
        assert!(!first_monday.matches(&at(2025, 3, 10, 12, 0)));
        assert!(!first_monday.matches(&at(2025, 3, 4, 12, 0)));

        let office = CronExpr::parse("30 9-17 * * mon-fri").unwrap();
        assert!(office.matches(&at(2025, 3, 3, 9, 30)));
        assert!(!office.matches(&at(2025, 3, 3, 9, 31)));
        assert!(!office.matches(&at(2025, 3, 3, 18, 30)));
        assert!(!office.matches(&at(2025, 3, 2, 10, 30)), "a Sunday");
    }

    #[test]
    fn errors_name_the_expression_and_the_field() {
        let cases = [
            ("* * * *", "found 4"),
            ("* * * * * *", "found 6"),
            ("60 * * * *", "minute field '60': 60 is out of range 0-59"),
            ("* 24 * * *", "hour field '24'"),
            ("* * 0 * *", "day-of-month field '0'"),
            ("* * * 13 *", "month field '13'"),
            ("* * * foo *", "neither a number nor one of jan"),
            ("* * * * 8", "day-of-week field '8'"),
            ("* * * * fri-mon", "starts after it ends"),
            ("*/0 * * * *", "step must be at least 1"),
            ("*/x * * * *", "step 'x' is not a number"),
            ("1,,2 * * * *", "empty list item"),
            ("* 9- * * *", "hour field '9-'"),
        ];
        for (expr, wanted) in cases {
            let err = CronExpr::parse(expr).unwrap_err().to_string();
            assert!(err.contains(&format!("'{expr}'")), "{err}");
            assert!(err.contains(wanted), "{expr}: {err}");
        }
    }
}
