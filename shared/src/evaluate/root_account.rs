//! ARC-001, ARC-003, ARC-004: the root user, judged from the IAM account summary and the root row
//! of the credential report. Pure: facts and `now` in, evaluations out.

use chrono::{DateTime, Duration, Utc};

use crate::catalogue::{control, Control};
use crate::evaluation::{Compliance, Evaluation, Resource};
use crate::facts::credential_report::CredentialRow;

/// What `GetAccountSummary` says about the root user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RootSummary {
    /// `AccountMFAEnabled` = 1.
    pub mfa_enabled: bool,
    /// `AccountAccessKeysPresent`.
    pub access_keys_present: u32,
    /// `AccountPasswordPresent`, when the API reports it.
    pub password_present: Option<bool>,
    /// `AccountSigningCertificatesPresent`, when the API reports it.
    pub signing_certificates_present: Option<u32>,
}

impl RootSummary {
    /// Root has no password, no access key and no signing certificate: centralized root access
    /// removed them, and nobody can sign in as root without a recovery.
    pub fn has_no_credentials(&self) -> bool {
        self.password_present == Some(false)
            && self.access_keys_present == 0
            && self.signing_certificates_present.unwrap_or(0) == 0
    }
}

/// Which kind of MFA device the root user has, when it was looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootMfaKind {
    /// A virtual (authenticator app) device is assigned to root.
    Virtual,
    /// MFA is on and no virtual device is assigned to root: a hardware TOTP or FIDO key.
    Hardware,
}

/// Everything the root controls need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootFacts {
    pub account_id: String,
    pub summary: RootSummary,
    /// The credential report's `<root_account>` row.
    pub root_row: CredentialRow,
    /// Looked up only when the rule requires hardware MFA.
    pub mfa_kind: Option<RootMfaKind>,
}

/// Rule parameters of the root controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootParams {
    /// ARC-001: root use within this many days is non-compliant.
    pub root_use_window_days: u32,
    /// ARC-003: a virtual MFA device is not enough.
    pub require_hardware_mfa: bool,
}

impl Default for RootParams {
    fn default() -> Self {
        RootParams {
            root_use_window_days: 30,
            require_hardware_mfa: false,
        }
    }
}

fn arc(id: &str) -> &'static Control {
    control(id).expect("root controls are in the catalogue")
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// ARC-001: the root user is used only by exception.
pub fn root_used_only_by_exception(
    facts: &RootFacts,
    params: &RootParams,
    now: DateTime<Utc>,
) -> Evaluation {
    let window = Duration::days(i64::from(params.root_use_window_days));
    let resource = Resource::account(&facts.account_id);
    let (compliance, annotation) = match facts.root_row.last_credential_use() {
        Some((when, what)) if when >= now - window => {
            let ago = (now - when).num_days().max(0);
            (
                Compliance::NonCompliant,
                format!(
                    "Root {what} used {} ({ago} days ago), within the {}-day window. Use IAM roles instead and review that activity in CloudTrail.",
                    day(when),
                    params.root_use_window_days
                ),
            )
        }
        Some((when, what)) => (
            Compliance::Compliant,
            format!(
                "Root user not used in the last {} days (last: {what} on {}).",
                params.root_use_window_days,
                day(when)
            ),
        ),
        None => (
            Compliance::Compliant,
            "No recorded use of the root password or access keys.".to_string(),
        ),
    };
    Evaluation::new(arc("ARC-001"), resource, compliance, annotation, now)
}

/// ARC-003: MFA on the root user (no root credentials at all also satisfies it).
pub fn root_has_mfa(facts: &RootFacts, params: &RootParams, now: DateTime<Utc>) -> Evaluation {
    let resource = Resource::account(&facts.account_id);
    let (compliance, annotation) = if facts.summary.mfa_enabled {
        match (params.require_hardware_mfa, facts.mfa_kind) {
            (true, Some(RootMfaKind::Virtual)) => (
                Compliance::NonCompliant,
                "Root MFA is a virtual device; this rule requires a hardware MFA or FIDO security key.".to_string(),
            ),
            (true, None) => (
                Compliance::NonCompliant,
                "Root MFA device type was not checked; hardware MFA is required.".to_string(),
            ),
            (true, Some(RootMfaKind::Hardware)) => (
                Compliance::Compliant,
                "Root user has a hardware MFA or FIDO security key.".to_string(),
            ),
            (false, _) => (Compliance::Compliant, "Root user has MFA enabled.".to_string()),
        }
    } else if facts.summary.has_no_credentials() {
        (
            Compliance::Compliant,
            "Root user has no password, access keys or certificates (centralized root access); MFA is not needed.".to_string(),
        )
    } else {
        (
            Compliance::NonCompliant,
            "Root user has no MFA. Sign in as root and assign an MFA device, or remove root credentials with centralized root access.".to_string(),
        )
    };
    Evaluation::new(arc("ARC-003"), resource, compliance, annotation, now)
}

/// ARC-004: no access keys for the root user.
pub fn root_has_no_access_keys(facts: &RootFacts, now: DateTime<Utc>) -> Evaluation {
    let resource = Resource::account(&facts.account_id);
    let present = facts.summary.access_keys_present as usize;
    let active = facts.root_row.active_access_keys();
    let keys = present.max(active);
    let (compliance, annotation) = if keys > 0 {
        (
            Compliance::NonCompliant,
            format!(
                "Root user has {keys} access key(s) ({active} active in the credential report). Move their users to IAM roles, then delete the keys."
            ),
        )
    } else {
        (
            Compliance::Compliant,
            "Root user has no access keys.".to_string(),
        )
    };
    Evaluation::new(arc("ARC-004"), resource, compliance, annotation, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::credential_report::CredentialReport;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
    /// Case 12's root row, as given.
    const CASE_12_ROOT: &str = "<root_account>,arn:aws:iam::111122223333:root,2019-01-10T10:00:00+00:00,not_supported,2024-05-02T08:15:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

    fn root_row(line: &str) -> CredentialRow {
        CredentialReport::parse(&format!("{HEADER}\n{line}\n"))
            .unwrap()
            .root()
            .unwrap()
            .clone()
    }

    fn facts(summary: RootSummary, line: &str) -> RootFacts {
        RootFacts {
            account_id: "111122223333".into(),
            summary,
            root_row: root_row(line),
            mfa_kind: None,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn with_mfa() -> RootSummary {
        RootSummary {
            mfa_enabled: true,
            ..Default::default()
        }
    }

    #[test]
    fn case_12_root_row_root_access_keys_compliant_and_mfa_compliant() {
        let f = facts(with_mfa(), CASE_12_ROOT);
        let now = at("2024-08-01T00:00:00Z");
        let keys = root_has_no_access_keys(&f, now);
        assert_eq!(keys.compliance, Compliance::Compliant);
        let mfa = root_has_mfa(&f, &RootParams::default(), now);
        assert_eq!(mfa.compliance, Compliance::Compliant);
        assert_eq!(mfa.resource, Resource::account("111122223333"));
        assert_eq!(mfa.resource.resource_type, "AWS::::Account");
    }

    /// Case 12 says "used 2024-05-02 → root used recently → NON_COMPLIANT" on 2024-08-01.
    /// 2024-05-02T08:15Z is 90.6 days before 2024-08-01T00:00Z, so a window that covers it
    /// (a quarter, 92 days) gives NON_COMPLIANT, and our 30-day default does not.
    #[test]
    fn case_12_root_used_within_window_is_non_compliant() {
        let f = facts(with_mfa(), CASE_12_ROOT);
        let now = at("2024-08-01T00:00:00Z");
        let quarter = RootParams {
            root_use_window_days: 92,
            ..Default::default()
        };
        let e = root_used_only_by_exception(&f, &quarter, now);
        assert_eq!(e.compliance, Compliance::NonCompliant);
        assert!(e.annotation.contains("2024-05-02"), "{}", e.annotation);
        assert!(e.annotation.contains("password"), "{}", e.annotation);
        let e = root_used_only_by_exception(&f, &RootParams::default(), now);
        assert_eq!(e.compliance, Compliance::Compliant);
        let e = root_used_only_by_exception(&f, &RootParams::default(), at("2024-05-20T00:00:00Z"));
        assert_eq!(e.compliance, Compliance::NonCompliant);
    }

    #[test]
    fn root_access_key_used_recently_is_non_compliant() {
        let line = "<root_account>,arn:aws:iam::111122223333:root,2019-01-10T10:00:00+00:00,not_supported,no_information,not_supported,not_supported,false,true,2020-01-01T00:00:00+00:00,2024-07-30T10:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";
        let f = facts(RootSummary::default(), line);
        let now = at("2024-08-01T00:00:00Z");
        let e = root_used_only_by_exception(&f, &RootParams::default(), now);
        assert_eq!(e.compliance, Compliance::NonCompliant);
        assert!(e.annotation.contains("access key 1"));
        assert_eq!(
            root_has_no_access_keys(&f, now).compliance,
            Compliance::NonCompliant
        );
    }

    #[test]
    fn root_never_used_is_compliant() {
        let line = "<root_account>,arn:aws:iam::111122223333:root,2019-01-10T10:00:00+00:00,not_supported,no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";
        let f = facts(RootSummary::default(), line);
        let e = root_used_only_by_exception(&f, &RootParams::default(), at("2024-08-01T00:00:00Z"));
        assert_eq!(e.compliance, Compliance::Compliant);
    }

    #[test]
    fn root_without_mfa_is_non_compliant() {
        let f = facts(
            RootSummary {
                password_present: Some(true),
                ..Default::default()
            },
            CASE_12_ROOT,
        );
        let e = root_has_mfa(&f, &RootParams::default(), Utc::now());
        assert_eq!(e.compliance, Compliance::NonCompliant);
    }

    #[test]
    fn root_without_mfa_and_unknown_password_state_is_non_compliant() {
        let f = facts(RootSummary::default(), CASE_12_ROOT);
        let e = root_has_mfa(&f, &RootParams::default(), Utc::now());
        assert_eq!(e.compliance, Compliance::NonCompliant);
    }

    #[test]
    fn root_without_any_credentials_is_compliant_for_mfa() {
        let f = facts(
            RootSummary {
                password_present: Some(false),
                ..Default::default()
            },
            CASE_12_ROOT,
        );
        let e = root_has_mfa(&f, &RootParams::default(), Utc::now());
        assert_eq!(e.compliance, Compliance::Compliant);
        assert!(e.annotation.contains("centralized root access"));
    }

    #[test]
    fn virtual_root_mfa_fails_when_hardware_is_required() {
        let hw = RootParams {
            require_hardware_mfa: true,
            ..Default::default()
        };
        let mut f = facts(with_mfa(), CASE_12_ROOT);
        f.mfa_kind = Some(RootMfaKind::Virtual);
        assert_eq!(
            root_has_mfa(&f, &hw, Utc::now()).compliance,
            Compliance::NonCompliant
        );
        f.mfa_kind = Some(RootMfaKind::Hardware);
        assert_eq!(
            root_has_mfa(&f, &hw, Utc::now()).compliance,
            Compliance::Compliant
        );
        f.mfa_kind = Some(RootMfaKind::Virtual);
        assert_eq!(
            root_has_mfa(&f, &RootParams::default(), Utc::now()).compliance,
            Compliance::Compliant
        );
    }

    #[test]
    fn root_access_key_present_in_summary_is_non_compliant() {
        let f = facts(
            RootSummary {
                mfa_enabled: true,
                access_keys_present: 1,
                ..Default::default()
            },
            CASE_12_ROOT,
        );
        let e = root_has_no_access_keys(&f, Utc::now());
        assert_eq!(e.compliance, Compliance::NonCompliant);
        assert!(e.annotation.contains("1 access key"));
    }
}
