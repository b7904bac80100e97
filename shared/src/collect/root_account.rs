//! Facts about the root user: the IAM account summary and the credential report.

use std::time::Duration;

use aws_sdk_iam::types::{AssignmentStatusType, ReportStateType, SummaryKeyType};
use tokio::time::Instant;

pub use crate::collect::CollectError;
use crate::error::AwsCallError;
use crate::evaluate::root_account::{RootFacts, RootMfaKind, RootSummary};
use crate::facts::credential_report::CredentialReport;

/// How long to wait for the credential report to be generated.
#[derive(Debug, Clone, Copy)]
pub struct ReportWait {
    /// Total time we may spend polling (keep it well inside the Lambda timeout).
    pub budget: Duration,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for ReportWait {
    fn default() -> Self {
        ReportWait {
            budget: Duration::from_secs(60),
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// Generate the credential report and poll until it is COMPLETE, within `wait.budget`.
/// A report still in progress, absent or expired when the budget is spent is an error.
pub async fn fetch_credential_report(
    iam: &aws_sdk_iam::Client,
    wait: ReportWait,
) -> Result<CredentialReport, CollectError> {
    let start = Instant::now();
    let mut delay = wait.first_delay;
    let mut last_state;
    loop {
        let generated = iam
            .generate_credential_report()
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("iam:GenerateCredentialReport", e))?;
        last_state = generated
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "unknown".into());
        if generated.state() == Some(&ReportStateType::Complete) {
            match iam.get_credential_report().send().await {
                Ok(out) => {
                    let content = out
                        .content()
                        .ok_or(CollectError::CredentialReportEncoding)?;
                    let text = std::str::from_utf8(content.as_ref())
                        .map_err(|_| CollectError::CredentialReportEncoding)?;
                    return Ok(CredentialReport::parse(text)?);
                }
                Err(e) => {
                    // Not ready yet, or gone between the two calls: generate and poll again.
                    let not_ready = e.as_service_error().map(|se| {
                        se.is_credential_report_not_ready_exception()
                            || se.is_credential_report_not_present_exception()
                            || se.is_credential_report_expired_exception()
                    });
                    let e = AwsCallError::from_sdk("iam:GetCredentialReport", e);
                    if not_ready == Some(true)
                        || ["ReportInProgress", "ReportNotPresent", "ReportExpired"]
                            .iter()
                            .any(|c| e.code_is(c))
                    {
                        last_state = e.code.clone().unwrap_or_else(|| "not ready".into());
                    } else {
                        return Err(e.into());
                    }
                }
            }
        }
        let waited = start.elapsed();
        if waited + delay > wait.budget {
            return Err(CollectError::CredentialReportNotReady { waited, last_state });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(wait.max_delay);
    }
}

/// `GetAccountSummary`, the root part.
pub async fn fetch_root_summary(iam: &aws_sdk_iam::Client) -> Result<RootSummary, CollectError> {
    let out = iam
        .get_account_summary()
        .send()
        .await
        .map_err(|e| AwsCallError::from_sdk("iam:GetAccountSummary", e))?;
    let map = out.summary_map().cloned().unwrap_or_default();
    let get = |k: SummaryKeyType| map.get(&k).copied();
    Ok(RootSummary {
        mfa_enabled: get(SummaryKeyType::AccountMfaEnabled)
            .ok_or(CollectError::SummaryMissing("AccountMFAEnabled"))?
            > 0,
        access_keys_present: get(SummaryKeyType::AccountAccessKeysPresent)
            .ok_or(CollectError::SummaryMissing("AccountAccessKeysPresent"))?
            .max(0) as u32,
        password_present: get(SummaryKeyType::AccountPasswordPresent).map(|n| n > 0),
        signing_certificates_present: get(SummaryKeyType::AccountSigningCertificatesPresent)
            .map(|n| n.max(0) as u32),
    })
}

/// Is root's MFA a virtual device? (Only asked when the rule requires hardware MFA.)
pub async fn fetch_root_mfa_kind(iam: &aws_sdk_iam::Client) -> Result<RootMfaKind, CollectError> {
    let mut pages = iam
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Assigned)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsCallError::from_sdk("iam:ListVirtualMFADevices", e))?;
        let root_device = page.virtual_mfa_devices().iter().any(|d| {
            d.serial_number().ends_with(":mfa/root-account-mfa-device")
                || d.user().is_some_and(|u| u.arn().ends_with(":root"))
        });
        if root_device {
            return Ok(RootMfaKind::Virtual);
        }
    }
    Ok(RootMfaKind::Hardware)
}

/// Everything the root controls need, read concurrently.
pub async fn collect_root_facts(
    iam: &aws_sdk_iam::Client,
    account_id: &str,
    want_mfa_kind: bool,
    wait: ReportWait,
) -> Result<RootFacts, CollectError> {
    let (summary, report) = tokio::join!(
        Box::pin(fetch_root_summary(iam)),
        Box::pin(fetch_credential_report(iam, wait))
    );
    let summary = summary?;
    let report = report?;
    let root_row = report.root().cloned().ok_or(CollectError::NoRootRow)?;
    let mfa_kind = if want_mfa_kind && summary.mfa_enabled {
        Some(Box::pin(fetch_root_mfa_kind(iam)).await?)
    } else {
        None
    };
    Ok(RootFacts {
        account_id: account_id.to_string(),
        summary,
        root_row,
        mfa_kind,
    })
}
