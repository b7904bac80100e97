//! The IAM credential report (CSV), parsed into typed rows.
//!
//! Columns are found by header name, not position. Cells take the report's special values
//! seriously: `N/A` (never), `no_information` (before AWS tracked it), `not_supported` (the root
//! row's password columns). A value the parser does not know is an error, never a guess.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The user name AWS gives the root user's row.
pub const ROOT_ROW_USER: &str = "<root_account>";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialReportError {
    #[error("credential report is empty")]
    Empty,
    #[error("credential report has no `{0}` column")]
    MissingColumn(&'static str),
    #[error("credential report line {line}: {message}")]
    BadRow { line: usize, message: String },
    #[error("credential report line {line}, column `{column}`: unexpected value `{value}`")]
    BadValue {
        line: usize,
        column: &'static str,
        value: String,
    },
}

/// A boolean cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    True,
    False,
    /// `not_supported`: e.g. `password_enabled` on the root row.
    NotSupported,
}

impl Flag {
    pub fn is_true(self) -> bool {
        self == Flag::True
    }
}

/// A date cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    At(DateTime<Utc>),
    /// `N/A`: never happened (or no such credential).
    Never,
    /// `no_information`: happened, if at all, before AWS started tracking it.
    NoInformation,
    /// `not_supported`.
    NotSupported,
}

impl Timestamp {
    pub fn at(self) -> Option<DateTime<Utc>> {
        match self {
            Timestamp::At(t) => Some(t),
            _ => None,
        }
    }
}

/// One access key's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessKeyColumns {
    pub active: Flag,
    pub last_rotated: Timestamp,
    pub last_used: Timestamp,
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    pub user: String,
    pub arn: String,
    pub password_enabled: Flag,
    pub password_last_used: Timestamp,
    pub password_last_changed: Timestamp,
    pub mfa_active: Flag,
    pub access_keys: [AccessKeyColumns; 2],
}

impl CredentialRow {
    pub fn is_root(&self) -> bool {
        self.user == ROOT_ROW_USER
    }

    /// The most recent use of any of this identity's credentials, with what was used.
    pub fn last_credential_use(&self) -> Option<(DateTime<Utc>, &'static str)> {
        [
            (self.password_last_used.at(), "password"),
            (self.access_keys[0].last_used.at(), "access key 1"),
            (self.access_keys[1].last_used.at(), "access key 2"),
        ]
        .into_iter()
        .filter_map(|(t, what)| t.map(|t| (t, what)))
        .max_by_key(|(t, _)| *t)
    }

    pub fn active_access_keys(&self) -> usize {
        self.access_keys
            .iter()
            .filter(|k| k.active.is_true())
            .count()
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialReport {
    pub rows: Vec<CredentialRow>,
}

impl CredentialReport {
    /// The root user's row. Real AWS always has one; its absence is a fault to surface.
    pub fn root(&self) -> Option<&CredentialRow> {
        self.rows.iter().find(|r| r.is_root())
    }

    /// The IAM users' rows: every row but the root's, so per-user checks never judge root.
    pub fn users(&self) -> impl Iterator<Item = &CredentialRow> {
        self.rows.iter().filter(|r| !r.is_root())
    }

    pub fn parse(csv_text: &str) -> Result<Self, CredentialReportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(csv_text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| CredentialReportError::BadRow {
                line: 1,
                message: e.to_string(),
            })?
            .clone();
        if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
            return Err(CredentialReportError::Empty);
        }
        let index: HashMap<&str, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim(), i))
            .collect();
        let col = |name: &'static str| {
            index
                .get(name)
                .copied()
                .ok_or(CredentialReportError::MissingColumn(name))
        };
        let c = Columns {
            user: col("user")?,
            arn: col("arn")?,
            password_enabled: col("password_enabled")?,
            password_last_used: col("password_last_used")?,
            password_last_changed: col("password_last_changed")?,
            mfa_active: col("mfa_active")?,
            k1_active: col("access_key_1_active")?,
            k1_rotated: col("access_key_1_last_rotated")?,
            k1_used: col("access_key_1_last_used_date")?,
            k2_active: col("access_key_2_active")?,
            k2_rotated: col("access_key_2_last_rotated")?,
            k2_used: col("access_key_2_last_used_date")?,
        };
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|e| CredentialReportError::BadRow {
                line,
                message: e.to_string(),
            })?;
            let cell = |idx: usize| record.get(idx).unwrap_or("").trim();
            let flag = |idx: usize, column: &'static str| parse_flag(cell(idx), line, column);
            let time = |idx: usize, column: &'static str| parse_time(cell(idx), line, column);
            let user = cell(c.user).to_string();
            if user.is_empty() {
                return Err(CredentialReportError::BadRow {
                    line,
                    message: "empty user name".into(),
                });
            }
            rows.push(CredentialRow {
                user,
                arn: cell(c.arn).to_string(),
                password_enabled: flag(c.password_enabled, "password_enabled")?,
                password_last_used: time(c.password_last_used, "password_last_used")?,
                password_last_changed: time(c.password_last_changed, "password_last_changed")?,
                mfa_active: flag(c.mfa_active, "mfa_active")?,
                access_keys: [
                    AccessKeyColumns {
                        active: flag(c.k1_active, "access_key_1_active")?,
                        last_rotated: time(c.k1_rotated, "access_key_1_last_rotated")?,
                        last_used: time(c.k1_used, "access_key_1_last_used_date")?,
                    },
                    AccessKeyColumns {
                        active: flag(c.k2_active, "access_key_2_active")?,
                        last_rotated: time(c.k2_rotated, "access_key_2_last_rotated")?,
                        last_used: time(c.k2_used, "access_key_2_last_used_date")?,
                    },
                ],
            });
        }
        Ok(CredentialReport { rows })
    }
}

struct Columns {
    user: usize,
    arn: usize,
    password_enabled: usize,
    password_last_used: usize,
    password_last_changed: usize,
    mfa_active: usize,
    k1_active: usize,
    k1_rotated: usize,
    k1_used: usize,
    k2_active: usize,
    k2_rotated: usize,
    k2_used: usize,
}

fn parse_flag(v: &str, line: usize, column: &'static str) -> Result<Flag, CredentialReportError> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(Flag::True),
        "false" => Ok(Flag::False),
        "not_supported" => Ok(Flag::NotSupported),
        _ => Err(CredentialReportError::BadValue {
            line,
            column,
            value: v.to_string(),
        }),
    }
}

fn parse_time(
    v: &str,
    line: usize,
    column: &'static str,
) -> Result<Timestamp, CredentialReportError> {
    match v {
        "N/A" | "n/a" => Ok(Timestamp::Never),
        "no_information" => Ok(Timestamp::NoInformation),
        "not_supported" => Ok(Timestamp::NotSupported),
        _ => DateTime::parse_from_rfc3339(v)
            .map(|t| Timestamp::At(t.with_timezone(&Utc)))
            .map_err(|_| CredentialReportError::BadValue {
                line,
                column,
                value: v.to_string(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    /// Case 12: the root row says `not_supported` for its password columns.
    #[test]
    fn root_row_with_not_supported_cells_parses() {
        let csv = format!("{HEADER}\n<root_account>,arn:aws:iam::111122223333:root,2019-01-10T10:00:00+00:00,not_supported,2024-05-02T08:15:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n");
        let report = CredentialReport::parse(&csv).unwrap();
        let root = report.root().unwrap();
        assert_eq!(root.password_enabled, Flag::NotSupported);
        assert_eq!(root.password_last_changed, Timestamp::NotSupported);
        assert_eq!(root.mfa_active, Flag::True);
        assert_eq!(root.active_access_keys(), 0);
        let (when, what) = root.last_credential_use().unwrap();
        assert_eq!(when.to_rfc3339(), "2024-05-02T08:15:00+00:00");
        assert_eq!(what, "password");
        assert_eq!(report.users().count(), 0, "root is never a per-user row");
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let csv = "arn,user,password_enabled,password_last_used,password_last_changed,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date\n\
            arn:aws:iam::111122223333:user/alice,alice,true,no_information,2024-01-01T00:00:00+00:00,false,true,2024-01-01T00:00:00+00:00,N/A,false,N/A,N/A\n";
        let report = CredentialReport::parse(csv).unwrap();
        let alice = report.users().next().unwrap();
        assert_eq!(alice.user, "alice");
        assert_eq!(alice.password_last_used, Timestamp::NoInformation);
        assert_eq!(alice.active_access_keys(), 1);
        assert!(report.root().is_none());
    }

    #[test]
    fn unknown_cell_values_are_errors_not_guesses() {
        let csv = format!("{HEADER}\nbob,arn:aws:iam::111122223333:user/bob,2019-01-10T10:00:00+00:00,maybe,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n");
        let err = CredentialReport::parse(&csv).unwrap_err();
        assert!(matches!(
            err,
            CredentialReportError::BadValue {
                column: "password_enabled",
                ..
            }
        ));
    }

    #[test]
    fn missing_columns_and_empty_reports_are_errors() {
        assert_eq!(
            CredentialReport::parse("user,arn\nx,y\n").unwrap_err(),
            CredentialReportError::MissingColumn("password_enabled")
        );
        assert_eq!(
            CredentialReport::parse("").unwrap_err(),
            CredentialReportError::Empty
        );
    }

    #[test]
    fn ragged_rows_are_errors() {
        let csv = format!("{HEADER}\nbob,arn\n");
        assert!(matches!(
            CredentialReport::parse(&csv).unwrap_err(),
            CredentialReportError::BadRow { line: 2, .. }
        ));
    }
}
