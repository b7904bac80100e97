//! Per-bucket verdicts: S3-001 (public buckets are reviewed), S3-002 (Block Public Access where
//! not reviewed as public), SDAT-002 (default encryption), SDAT-003 (TLS required), SDAT-004
//! (access logging of sensitive buckets). Pure.

use chrono::{DateTime, Utc};

use crate::catalogue::{control, Control};
use crate::evaluate::s3_exposure::{
    bucket_exposure, AccountBpa, BlockPublicAccess, BucketExposureFacts,
};
use crate::evaluation::{Compliance, Evaluation, Resource};
use crate::exemption::{exemption, Exemption};
use crate::policy::{Effect, PolicyDocument};

pub const BUCKET_RESOURCE_TYPE: &str = "AWS::S3::Bucket";

/// Everything the bucket rules need about one bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketFacts {
    pub exposure: BucketExposureFacts,
    pub tags: Vec<(String, String)>,
    /// Default encryption algorithms (`AES256`, `aws:kms`, `aws:kms:dsse`); empty when none.
    pub encryption: Vec<String>,
    /// Server access logging configured.
    pub access_logging: bool,
    /// A logging CloudTrail trail records S3 data events for this bucket.
    pub data_events_logged: bool,
}

/// Rule parameters of the bucket controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Params {
    /// SDAT-002: SSE-S3 is not enough.
    pub require_kms: bool,
    /// SDAT-004: buckets with this tag (value `true`) hold sensitive data.
    pub sensitive_tag_key: String,
}

impl Default for S3Params {
    fn default() -> Self {
        S3Params {
            require_kms: false,
            sensitive_tag_key: "ftr:sensitive".into(),
        }
    }
}

fn ctl(id: &str) -> &'static Control {
    control(id).expect("S3 controls are in the catalogue")
}

fn resource(f: &BucketFacts) -> Resource {
    Resource::new(BUCKET_RESOURCE_TYPE, &f.exposure.bucket)
}

fn tag_pairs(f: &BucketFacts) -> impl Iterator<Item = (&str, &str)> {
    f.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// S3-001: a bucket that is effectively public must carry a live review exemption.
pub fn bucket_access_reviewed(f: &BucketFacts, now: DateTime<Utc>) -> Evaluation {
    let c = ctl("S3-001");
    let e = bucket_exposure(&f.exposure);
    let ex = exemption(tag_pairs(f), c.id, now);
    let mut what = e.summary();
    if !e.public_access_points.is_empty() {
        what.push_str(&format!(
            "; public access points: {}",
            e.public_access_points.join(", ")
        ));
    }
    let public = e.is_public() || !e.public_access_points.is_empty();
    let (compliance, annotation) = match (public, &ex) {
        (false, _) => (Compliance::Compliant, format!("Bucket is {what}.")),
        (true, Exemption::Active { .. }) => (
            Compliance::Compliant,
            format!("Bucket is {what}; {}.", ex.describe()),
        ),
        (true, _) => {
            let tail = match &ex {
                Exemption::None => "not reviewed: remove the public access, or tag ftr:exempt=S3-001 with ftr:exempt-reason and ftr:exempt-until".to_string(),
                other => other.describe(),
            };
            (
                Compliance::NonCompliant,
                format!("Bucket is {what}; {tail}."),
            )
        }
    };
    Evaluation::new(c, resource(f), compliance, annotation, now)
}

fn missing_flags(b: &BlockPublicAccess) -> Vec<&'static str> {
    let mut m = Vec::new();
    if !b.block_public_acls {
        m.push("BlockPublicAcls");
    }
    if !b.ignore_public_acls {
        m.push("IgnorePublicAcls");
    }
    if !b.block_public_policy {
        m.push("BlockPublicPolicy");
    }
    if !b.restrict_public_buckets {
        m.push("RestrictPublicBuckets");
    }
    m
}

/// S3-002: all four Block Public Access settings, at account level or on the bucket, unless the
/// bucket is reviewed as public (S3-001 exemption).
pub fn bucket_public_access_blocked(f: &BucketFacts, now: DateTime<Utc>) -> Evaluation {
    let c = ctl("S3-002");
    let (account_all, note) = match &f.exposure.account_bpa {
        AccountBpa::Known(Some(b)) => (b.all_on(), String::new()),
        AccountBpa::Known(None) => (false, String::new()),
        AccountBpa::Unknown(why) => (false, format!(" (account settings unknown: {why})")),
    };
    let bucket = f.exposure.bucket_bpa.unwrap_or_default();
    let reviewed = exemption(tag_pairs(f), "S3-001", now);
    let own = exemption(tag_pairs(f), c.id, now);
    let (compliance, annotation) = if account_all {
        (
            Compliance::Compliant,
            "Account-level Block Public Access has all four settings on.".to_string(),
        )
    } else if bucket.all_on() {
        (
            Compliance::Compliant,
            format!("Bucket-level Block Public Access has all four settings on{note}."),
        )
    } else if reviewed.is_active() || own.is_active() {
        let ex = if own.is_active() { own } else { reviewed };
        (
            Compliance::Compliant,
            format!(
                "Bucket is {}; Block Public Access not required{note}.",
                ex.describe()
            ),
        )
    } else {
        (
            Compliance::NonCompliant,
            format!(
                "Block Public Access is off for {} at bucket level and not fully on at account level{note}. Turn all four on.",
                missing_flags(&bucket).join(", ")
            ),
        )
    };
    Evaluation::new(c, resource(f), compliance, annotation, now)
}

/// SDAT-002 for buckets: default encryption at rest (SSE-KMS if the rule requires it).
/// `BucketKeyEnabled` does not matter.
pub fn bucket_encrypted_at_rest(
    f: &BucketFacts,
    params: &S3Params,
    now: DateTime<Utc>,
) -> Evaluation {
    let c = ctl("SDAT-002");
    let kms = f.encryption.iter().any(|a| a.starts_with("aws:kms"));
    let (compliance, annotation) = if f.encryption.is_empty() {
        (
            Compliance::NonCompliant,
            "No default encryption configured on the bucket.".to_string(),
        )
    } else if params.require_kms && !kms {
        (
            Compliance::NonCompliant,
            format!(
                "Default encryption is {}; this rule requires SSE-KMS (aws:kms).",
                f.encryption.join(", ")
            ),
        )
    } else {
        (
            Compliance::Compliant,
            format!("Default encryption: {}.", f.encryption.join(", ")),
        )
    };
    Evaluation::new(c, resource(f), compliance, annotation, now)
}

/// Does the policy deny every request made without TLS?
pub fn denies_insecure_transport(policy: &PolicyDocument) -> bool {
    policy.statements.iter().any(|s| {
        s.effect == Effect::Deny
            && s.names_anyone()
            && s.covers_action("s3:GetObject")
            && s.covers_action("s3:PutObject")
            && s.conditions.iter().any(|c| {
                (c.operator == "Bool"
                    && c.key == "aws:securetransport"
                    && c.values.iter().any(|v| v.eq_ignore_ascii_case("false")))
                    || (c.operator == "NumericLessThan" && c.key == "s3:tlsversion")
            })
    })
}

/// SDAT-003 for buckets: the bucket policy denies requests without TLS.
pub fn bucket_requires_tls(f: &BucketFacts, now: DateTime<Utc>) -> Evaluation {
    let c = ctl("SDAT-003");
    let ok = f
        .exposure
        .policy
        .as_ref()
        .is_some_and(denies_insecure_transport);
    let (compliance, annotation) = if ok {
        (
            Compliance::Compliant,
            "Bucket policy denies requests without TLS (aws:SecureTransport).".to_string(),
        )
    } else {
        (
            Compliance::NonCompliant,
            "Bucket policy does not deny non-TLS requests: add a Deny for Principal * on s3:* when aws:SecureTransport is false.".to_string(),
        )
    };
    Evaluation::new(c, resource(f), compliance, annotation, now)
}

/// SDAT-004 for buckets: sensitive buckets (tagged) log access.
pub fn sensitive_bucket_access_logged(
    f: &BucketFacts,
    params: &S3Params,
    now: DateTime<Utc>,
) -> Evaluation {
    let c = ctl("SDAT-004");
    let sensitive = f.tags.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case(&params.sensitive_tag_key) && !v.eq_ignore_ascii_case("false")
    });
    let (compliance, annotation) = match (sensitive, f.access_logging, f.data_events_logged) {
        (false, _, _) => (Compliance::NotApplicable, format!("Bucket is not tagged {} (sensitive data).", params.sensitive_tag_key)),
        (true, true, _) => (Compliance::Compliant, "Sensitive bucket has server access logging on.".to_string()),
        (true, false, true) => (Compliance::Compliant, "Sensitive bucket's object access is recorded by CloudTrail S3 data events.".to_string()),
        (true, false, false) => (
            Compliance::NonCompliant,
            "Sensitive bucket logs no access: enable server access logging or CloudTrail S3 data events for it.".to_string(),
        ),
    };
    Evaluation::new(c, resource(f), compliance, annotation, now)
}
