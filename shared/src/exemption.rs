//! Review exemptions from resource tags (DESIGN §5): `ftr:exempt` (control ids), `ftr:exempt-reason`,
//! `ftr:exempt-until` (a date). An exemption needs a reason and an expiry; an expired or incomplete
//! one does not count, and every verdict says which it was. Pure.

use chrono::{DateTime, NaiveDate, Utc};

pub const TAG_EXEMPT: &str = "ftr:exempt";
pub const TAG_REASON: &str = "ftr:exempt-reason";
pub const TAG_UNTIL: &str = "ftr:exempt-until";

/// What the tags say about one control on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exemption {
    /// No `ftr:exempt` tag naming this control.
    None,
    /// Reviewed: counts until `until`.
    Active { reason: String, until: NaiveDate },
    /// Was reviewed; the review ran out.
    Expired { reason: String, until: NaiveDate },
    /// Names the control but is incomplete or unreadable: does not count.
    Invalid(String),
}

impl Exemption {
    pub fn is_active(&self) -> bool {
        matches!(self, Exemption::Active { .. })
    }

    /// A phrase for annotations; empty for `None`.
    pub fn describe(&self) -> String {
        match self {
            Exemption::None => String::new(),
            Exemption::Active { reason, until } => {
                format!("reviewed as exempt until {until}: {reason}")
            }
            Exemption::Expired { reason, until } => {
                format!("exemption expired on {until} ({reason})")
            }
            Exemption::Invalid(why) => format!("exemption tag ignored: {why}"),
        }
    }
}

fn names_control(list: &str, control_id: &str) -> bool {
    list.split([',', ' ', ';', '+', ':'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .any(|id| id.eq_ignore_ascii_case(control_id) || id == "*")
}

fn parse_until(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    NaiveDate::parse_from_str(v, "%Y-%m-%d").ok().or_else(|| {
        DateTime::parse_from_rfc3339(v)
            .ok()
            .map(|t| t.with_timezone(&Utc).date_naive())
    })
}

/// The exemption for `control_id` from a resource's tags, as of `now`. Tag keys are matched
/// case-insensitively; the exemption lasts through the whole `until` day (UTC).
pub fn exemption<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    control_id: &str,
    now: DateTime<Utc>,
) -> Exemption {
    let (mut list, mut reason, mut until) = (None, None, None);
    for (k, v) in tags {
        match k.trim().to_ascii_lowercase().as_str() {
            TAG_EXEMPT => list = Some(v),
            TAG_REASON => reason = Some(v.trim()),
            TAG_UNTIL => until = Some(v),
            _ => {}
        }
    }
    let Some(list) = list else {
        return Exemption::None;
    };
    if !names_control(list, control_id) {
        return Exemption::None;
    }
    let Some(reason) = reason.filter(|r| !r.is_empty()) else {
        return Exemption::Invalid(format!("{TAG_REASON} is missing"));
    };
    let Some(raw_until) = until else {
        return Exemption::Invalid(format!("{TAG_UNTIL} is missing (reviews must expire)"));
    };
    let Some(until) = parse_until(raw_until) else {
        return Exemption::Invalid(format!(
            "{TAG_UNTIL} `{raw_until}` is not a date (YYYY-MM-DD)"
        ));
    };
    if now.date_naive() > until {
        Exemption::Expired {
            reason: reason.to_string(),
            until,
        }
    } else {
        Exemption::Active {
            reason: reason.to_string(),
            until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn complete_unexpired_exemption_is_active_through_its_last_day() {
        let tags = [
            ("ftr:exempt", "S3-001,S3-002"),
            ("ftr:exempt-reason", "public website"),
            ("ftr:exempt-until", "2026-12-31"),
        ];
        let e = exemption(tags, "S3-001", at("2026-12-31T23:59:00Z"));
        assert!(e.is_active(), "{e:?}");
        assert!(e.describe().contains("public website"));
        assert!(exemption(tags, "s3-002", at("2026-06-01T00:00:00Z")).is_active());
        assert_eq!(
            exemption(tags, "SDAT-003", at("2026-06-01T00:00:00Z")),
            Exemption::None
        );
    }

    #[test]
    fn expired_exemption_stops_counting_and_says_so() {
        let tags = [
            ("FTR:Exempt", "S3-001"),
            ("ftr:exempt-reason", "launch"),
            ("ftr:exempt-until", "2026-01-31"),
        ];
        let e = exemption(tags, "S3-001", at("2026-02-01T00:00:00Z"));
        assert!(matches!(e, Exemption::Expired { .. }));
        assert!(e.describe().contains("expired on 2026-01-31"));
    }

    #[test]
    fn incomplete_exemptions_are_reported_not_honoured() {
        let now = at("2026-02-01T00:00:00Z");
        for (tags, why) in [
            (
                vec![("ftr:exempt", "S3-001")],
                "ftr:exempt-reason is missing",
            ),
            (
                vec![("ftr:exempt", "S3-001"), ("ftr:exempt-reason", " ")],
                "ftr:exempt-reason is missing",
            ),
            (
                vec![("ftr:exempt", "S3-001"), ("ftr:exempt-reason", "x")],
                "must expire",
            ),
            (
                vec![
                    ("ftr:exempt", "S3-001"),
                    ("ftr:exempt-reason", "x"),
                    ("ftr:exempt-until", "next year"),
                ],
                "not a date",
            ),
        ] {
            let e = exemption(tags.iter().copied(), "S3-001", now);
            assert!(matches!(e, Exemption::Invalid(_)), "{e:?}");
            assert!(e.describe().contains(why), "{}", e.describe());
        }
        assert_eq!(exemption([("owner", "me")], "S3-001", now), Exemption::None);
    }
}
