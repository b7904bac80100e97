//! Security Hub `BatchImportFindings` in ASFF: one stable `Id` per (control, account, region,
//! resource) so re-evaluation updates and never duplicates; chunks of at most 100; per-finding
//! failures inside a 200 answer are failures (retried, then surfaced).

use std::time::Duration;

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance as AsffCompliance, ComplianceStatus, Recommendation,
    RecordState, Remediation, Resource as AsffResource, Severity as AsffSeverity, SeverityLabel,
};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::catalogue::{Control, Severity};
use crate::error::AwsCallError;
use crate::evaluation::{clean_text, truncate_chars, Compliance, Evaluation, Lifecycle};
use crate::sinks::SinkError;

pub const MAX_FINDINGS_PER_CALL: usize = 100;
const MAX_TITLE: usize = 256;
const MAX_DESCRIPTION: usize = 1024;
const MAX_RECOMMENDATION: usize = 512;
const MAX_ID: usize = 512;
const RETRIES_OF_FAILED: usize = 3;

/// The ASFF type of our compliance findings.
pub const COMPLIANCE_FINDING_TYPE: &str =
    "Software and Configuration Checks/Industry and Regulatory Standards/AWS Foundational Technical Review";
/// The ASFF type of live root-activity findings.
pub const ROOT_ACTIVITY_FINDING_TYPE: &str = "Unusual Behaviors/User/Root user activity";

/// Where findings are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingContext {
    pub account_id: String,
    pub region: String,
    pub partition: String,
}

impl FindingContext {
    pub fn new(account_id: &str, region: &str) -> Self {
        FindingContext {
            account_id: account_id.to_string(),
            region: region.to_string(),
            partition: crate::aws::partition_of(region).to_string(),
        }
    }

    /// `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`.
    pub fn product_arn(&self) -> String {
        format!(
            "arn:{}:securityhub:{}:{}:product/{}/default",
            self.partition, self.region, self.account_id, self.account_id
        )
    }
}

/// A finding before it becomes ASFF: everything is ours, validated and bounded.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingSpec {
    pub id: String,
    pub control: &'static Control,
    pub severity: Severity,
    pub finding_type: &'static str,
    pub title: String,
    pub description: String,
    /// ASFF resource type, e.g. `AwsAccount`, `AwsIamUser`.
    pub resource_type: String,
    /// ASFF resource id (an ARN where there is one).
    pub resource_id: String,
    pub compliance: ComplianceStatus,
    pub record_state: RecordState,
    pub observed_at: DateTime<Utc>,
    pub product_fields: Vec<(String, String)>,
}

/// The stable finding id of (control, account, region, resource).
pub fn finding_id(
    ctx: &FindingContext,
    control: &Control,
    resource_type: &str,
    resource_id: &str,
) -> String {
    truncate_chars(
        &format!(
            "ftr/{}/{}/{}/{}/{}",
            ctx.account_id,
            ctx.region,
            control.rule_name(),
            resource_type,
            resource_id
        ),
        MAX_ID,
    )
}

/// ASFF resource type and id for a Config resource type and id.
pub fn asff_resource(
    ctx: &FindingContext,
    config_type: &str,
    resource_id: &str,
) -> (String, String) {
    let p = &ctx.partition;
    match config_type {
        crate::evaluation::ACCOUNT_RESOURCE_TYPE => {
            ("AwsAccount".into(), format!("AWS::::Account:{resource_id}"))
        }
        "AWS::IAM::User" => ("AwsIamUser".into(), resource_id.to_string()),
        "AWS::IAM::Role" => ("AwsIamRole".into(), resource_id.to_string()),
        "AWS::S3::Bucket" if !resource_id.starts_with("arn:") => {
            ("AwsS3Bucket".into(), format!("arn:{p}:s3:::{resource_id}"))
        }
        "AWS::S3::Bucket" => ("AwsS3Bucket".into(), resource_id.to_string()),
        "AWS::CloudTrail::Trail" => ("AwsCloudTrailTrail".into(), resource_id.to_string()),
        other => ("Other".into(), format!("{other}:{resource_id}")),
    }
}

/// The finding for one evaluation.
pub fn finding_for_evaluation(e: &Evaluation, ctx: &FindingContext) -> FindingSpec {
    let (resource_type, resource_id) =
        asff_resource(ctx, &e.resource.resource_type, &e.resource.resource_id);
    let (compliance, record_state) = match (e.lifecycle, e.compliance) {
        (Lifecycle::Deleted, _) => (ComplianceStatus::Passed, RecordState::Archived),
        (_, Compliance::Compliant) => (ComplianceStatus::Passed, RecordState::Active),
        (_, Compliance::NonCompliant) => (ComplianceStatus::Failed, RecordState::Active),
        (_, Compliance::NotApplicable) => (ComplianceStatus::NotAvailable, RecordState::Archived),
    };
    FindingSpec {
        id: finding_id(
            ctx,
            e.control,
            &e.resource.resource_type,
            &e.resource.resource_id,
        ),
        control: e.control,
        severity: e.control.severity,
        finding_type: COMPLIANCE_FINDING_TYPE,
        title: format!("FTR {}: {}", e.control.id, e.control.title),
        description: format!("{} {}", e.compliance.as_str(), e.annotation),
        resource_type,
        resource_id,
        compliance,
        record_state,
        observed_at: e.ordering_timestamp,
        product_fields: vec![
            ("ftr/ControlId".into(), e.control.id.into()),
            ("ftr/Compliance".into(), e.compliance.as_str().into()),
            (
                "ftr/ConfigResourceType".into(),
                e.resource.resource_type.clone(),
            ),
        ],
    }
}

fn severity_label(s: Severity) -> SeverityLabel {
    match s {
        Severity::Informational => SeverityLabel::Informational,
        Severity::Low => SeverityLabel::Low,
        Severity::Medium => SeverityLabel::Medium,
        Severity::High => SeverityLabel::High,
        Severity::Critical => SeverityLabel::Critical,
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl FindingSpec {
    /// Refuse what Security Hub would reject, before sending.
    pub fn validate(&self) -> Result<(), SinkError> {
        let bad = |what: &str| Err(SinkError::Invalid(format!("finding {}: {what}", self.id)));
        if self.id.is_empty() {
            return bad("empty Id");
        }
        if self.resource_type.trim().is_empty() || self.resource_id.trim().is_empty() {
            return bad("empty resource Type or Id");
        }
        if self.title.trim().is_empty() || self.description.trim().is_empty() {
            return bad("empty Title or Description");
        }
        Ok(())
    }

    /// The ASFF finding; text fields are cut to Security Hub's limits.
    pub fn to_asff(
        &self,
        ctx: &FindingContext,
        now: DateTime<Utc>,
    ) -> Result<AwsSecurityFinding, SinkError> {
        self.validate()?;
        let resource = AsffResource::builder()
            .r#type(&self.resource_type)
            .id(&self.resource_id)
            .partition(aws_sdk_securityhub::types::Partition::from(
                ctx.partition.as_str(),
            ))
            .region(&ctx.region)
            .build();
        let mut b = AwsSecurityFinding::builder()
            .schema_version("2018-10-08")
            .id(&self.id)
            .product_arn(ctx.product_arn())
            .generator_id(self.control.rule_name())
            .aws_account_id(&ctx.account_id)
            .types(self.finding_type)
            .first_observed_at(iso(self.observed_at))
            .last_observed_at(iso(self.observed_at))
            .created_at(iso(self.observed_at.min(now)))
            .updated_at(iso(now))
            .severity(
                AsffSeverity::builder()
                    .label(severity_label(self.severity))
                    .build(),
            )
            .title(truncate_chars(&clean_text(&self.title), MAX_TITLE))
            .description(truncate_chars(
                &clean_text(&self.description),
                MAX_DESCRIPTION,
            ))
            .remediation(
                Remediation::builder()
                    .recommendation(
                        Recommendation::builder()
                            .text(truncate_chars(self.control.remediation, MAX_RECOMMENDATION))
                            .url(self.control.link)
                            .build(),
                    )
                    .build(),
            )
            .resources(resource)
            .compliance(
                AsffCompliance::builder()
                    .status(self.compliance.clone())
                    .related_requirements(format!("FTR {}", self.control.id))
                    .build(),
            )
            .record_state(self.record_state.clone())
            .product_name("ftr-monitor")
            .company_name("ftr-monitor");
        for (k, v) in &self.product_fields {
            b = b.product_fields(k, truncate_chars(v, 4096));
        }
        Ok(b.build())
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    pub imported: usize,
    pub calls: usize,
}

/// Security Hub's BatchImportFindings allows 10 requests per second (burst 30): pace below it.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

pub struct SecurityHubSink {
    client: aws_sdk_securityhub::Client,
    last_call: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl SecurityHubSink {
    pub fn new(client: aws_sdk_securityhub::Client) -> Self {
        SecurityHubSink {
            client,
            last_call: tokio::sync::Mutex::new(None),
        }
    }

    /// Wait until a call keeps the rate under 10 per second.
    async fn pace(&self) {
        let mut last = self.last_call.lock().await;
        if let Some(t) = *last {
            let next = t + MIN_INTERVAL;
            if next > tokio::time::Instant::now() {
                tokio::time::sleep_until(next).await;
            }
        }
        *last = Some(tokio::time::Instant::now());
    }

    /// Import findings in chunks of ≤ 100; findings Security Hub rejects are retried, then
    /// reported as an error naming each one.
    pub async fn import(
        &self,
        ctx: &FindingContext,
        specs: &[FindingSpec],
        now: DateTime<Utc>,
    ) -> Result<ImportSummary, SinkError> {
        let mut summary = ImportSummary::default();
        let findings: Vec<AwsSecurityFinding> = specs
            .iter()
            .map(|s| s.to_asff(ctx, now))
            .collect::<Result<_, _>>()?;
        for chunk in findings.chunks(MAX_FINDINGS_PER_CALL) {
            let mut pending: Vec<AwsSecurityFinding> = chunk.to_vec();
            let mut attempt = 0;
            loop {
                summary.calls += 1;
                self.pace().await;
                let out = self
                    .client
                    .batch_import_findings()
                    .set_findings(Some(pending.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsCallError::from_sdk("securityhub:BatchImportFindings", e))?;
                let failed = out.failed_findings();
                let failed_count = usize::try_from(out.failed_count().unwrap_or(0))
                    .unwrap_or(0)
                    .max(failed.len());
                summary.imported += pending.len() - failed_count.min(pending.len());
                if failed_count == 0 {
                    break;
                }
                attempt += 1;
                let reasons: Vec<String> = failed
                    .iter()
                    .map(|f| {
                        format!(
                            "{} ({}: {})",
                            f.id().unwrap_or("?"),
                            f.error_code().unwrap_or("?"),
                            f.error_message().unwrap_or("")
                        )
                    })
                    .collect();
                tracing::warn!(failed = failed_count, attempt, reasons = ?reasons, "Security Hub rejected findings");
                // Schema errors will not pass on retry; throttling-like ones may.
                let permanent = failed
                    .iter()
                    .all(|f| f.error_code() == Some("InvalidInput"));
                if attempt >= RETRIES_OF_FAILED || permanent || failed.is_empty() {
                    return Err(SinkError::Rejected {
                        sink: "securityhub:BatchImportFindings",
                        count: failed_count,
                        details: reasons.join("; "),
                    });
                }
                pending.retain(|p| failed.iter().any(|f| f.id() == p.id()));
                tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
            }
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::control;
    use crate::evaluation::Resource;
    use chrono::Duration;

    /// Case 27: one resource through FAILED → PASSED → FAILED → deleted keeps one finding id; the
    /// state comes from our own evaluation, and every re-import carries a newer UpdatedAt.
    #[test]
    fn finding_lifecycle_keeps_one_id_through_fix_relapse_and_deletion() {
        let ctx = FindingContext::new("111122223333", "eu-west-1");
        let c = control("IAM-001").unwrap();
        let user = Resource::new("AWS::IAM::User", "AIDAEXAMPLEUSERID0001");
        let t0 = Utc::now();
        let steps = [
            Evaluation::new(c, user.clone(), Compliance::NonCompliant, "no MFA", t0),
            Evaluation::new(
                c,
                user.clone(),
                Compliance::Compliant,
                "MFA on",
                t0 + Duration::hours(1),
            ),
            Evaluation::new(
                c,
                user.clone(),
                Compliance::NonCompliant,
                "MFA removed",
                t0 + Duration::hours(2),
            ),
            Evaluation::deleted(c, user.clone(), t0 + Duration::hours(3)),
        ];
        let asff: Vec<_> = steps
            .iter()
            .enumerate()
            .map(|(i, e)| {
                finding_for_evaluation(e, &ctx)
                    .to_asff(&ctx, t0 + Duration::hours(i as i64) + Duration::seconds(5))
                    .unwrap()
            })
            .collect();
        let ids: Vec<_> = asff.iter().map(|f| f.id().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
        let status: Vec<_> = asff
            .iter()
            .map(|f| {
                (
                    f.compliance().unwrap().status().unwrap().clone(),
                    f.record_state().unwrap().clone(),
                )
            })
            .collect();
        assert_eq!(
            status,
            vec![
                (ComplianceStatus::Failed, RecordState::Active),
                (ComplianceStatus::Passed, RecordState::Active),
                (ComplianceStatus::Failed, RecordState::Active),
                (ComplianceStatus::Passed, RecordState::Archived),
            ]
        );
        let updated: Vec<_> = asff
            .iter()
            .map(|f| f.updated_at().unwrap().to_string())
            .collect();
        assert!(updated.windows(2).all(|w| w[0] < w[1]), "{updated:?}");
        assert!(asff.iter().all(|f| f.generator_id() == Some("ftr-iam-001")));
        assert_eq!(
            ids[0],
            "ftr/111122223333/eu-west-1/ftr-iam-001/AWS::IAM::User/AIDAEXAMPLEUSERID0001"
        );
    }

    #[test]
    fn asff_text_fields_are_cut_to_security_hub_limits() {
        let ctx = FindingContext::new("111122223333", "eu-west-1");
        let e = Evaluation::new(
            control("ARC-001").unwrap(),
            Resource::account("111122223333"),
            Compliance::NonCompliant,
            "x",
            Utc::now(),
        );
        let mut spec = finding_for_evaluation(&e, &ctx);
        spec.title = "t".repeat(1000);
        spec.description = "d".repeat(5000);
        let f = spec.to_asff(&ctx, Utc::now()).unwrap();
        assert!(f.title().unwrap().chars().count() <= 256);
        assert!(f.description().unwrap().chars().count() <= 1024);
        assert_eq!(f.resources()[0].id(), Some("AWS::::Account:111122223333"));
        assert_eq!(
            f.product_arn(),
            Some("arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default")
        );
    }
}
