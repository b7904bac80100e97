//! S3-001, S3-002, SDAT-002, SDAT-003, SDAT-004 per bucket, with exemptions (DESIGN §5) and the
//! S3 parts of case 32.

use chrono::{DateTime, Utc};
use ftr_shared::evaluate::s3_buckets::*;
use ftr_shared::evaluate::s3_exposure::{
    AccountBpa, AclGrant, BlockPublicAccess, BucketExposureFacts, ObjectOwnership,
};
use ftr_shared::evaluation::Compliance;
use ftr_shared::policy::PolicyDocument;

const PUBLIC_READ: &str = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#;
const TLS_ONLY: &str = r#"{"Statement":[{"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::site","arn:aws:s3:::site/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn bucket(policy: Option<&str>, tags: &[(&str, &str)]) -> BucketFacts {
    BucketFacts {
        exposure: BucketExposureFacts {
            bucket: "site".into(),
            account_bpa: AccountBpa::Known(None),
            bucket_bpa: None,
            policy: policy.map(|p| PolicyDocument::parse(p).unwrap()),
            acl: vec![],
            ownership: ObjectOwnership::BucketOwnerEnforced,
            access_points: vec![],
        },
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        encryption: vec!["AES256".into()],
        access_logging: false,
        data_events_logged: false,
    }
}

const REVIEWED: &[(&str, &str)] = &[
    ("ftr:exempt", "S3-001"),
    ("ftr:exempt-reason", "public website assets"),
    ("ftr:exempt-until", "2027-06-30"),
];

#[test]
fn public_bucket_without_review_is_non_compliant_with_the_reason() {
    let e = bucket_access_reviewed(&bucket(Some(PUBLIC_READ), &[]), now());
    assert_eq!(e.compliance, Compliance::NonCompliant);
    assert_eq!(e.resource.resource_type, "AWS::S3::Bucket");
    assert_eq!(e.resource.resource_id, "site");
    assert!(e.annotation.contains("public read"), "{}", e.annotation);
    assert!(e.annotation.contains("ftr:exempt"), "{}", e.annotation);
}

#[test]
fn public_bucket_with_live_review_is_compliant_and_says_so() {
    let e = bucket_access_reviewed(&bucket(Some(PUBLIC_READ), REVIEWED), now());
    assert_eq!(e.compliance, Compliance::Compliant);
    assert!(
        e.annotation.contains("public website assets"),
        "{}",
        e.annotation
    );
}

#[test]
fn expired_review_counts_for_nothing() {
    let tags = [
        ("ftr:exempt", "S3-001"),
        ("ftr:exempt-reason", "launch"),
        ("ftr:exempt-until", "2026-11-30"),
    ];
    let e = bucket_access_reviewed(&bucket(Some(PUBLIC_READ), &tags), now());
    assert_eq!(e.compliance, Compliance::NonCompliant);
    assert!(e.annotation.contains("expired"), "{}", e.annotation);
}

#[test]
fn private_bucket_is_compliant_for_s3_001() {
    assert_eq!(
        bucket_access_reviewed(&bucket(None, &[]), now()).compliance,
        Compliance::Compliant
    );
}

#[test]
fn public_access_point_makes_the_bucket_need_a_review() {
    let mut f = bucket(None, &[]);
    f.exposure.access_points = vec![ftr_shared::evaluate::s3_exposure::AccessPointFacts {
        name: "open".into(),
        policy: Some(PolicyDocument::parse(PUBLIC_READ).unwrap()),
        block_public_access: None,
        internet_origin: true,
    }];
    let e = bucket_access_reviewed(&f, now());
    assert_eq!(e.compliance, Compliance::NonCompliant);
    assert!(e.annotation.contains("public access points: open"));
}

#[test]
fn s3_002_follows_account_then_bucket_then_review() {
    let mut f = bucket(None, &[]);
    let e = bucket_public_access_blocked(&f, now());
    assert_eq!(e.compliance, Compliance::NonCompliant);
    assert!(
        e.annotation.contains(
            "BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets"
        ),
        "{}",
        e.annotation
    );
    f.exposure.bucket_bpa = Some(BlockPublicAccess::ALL);
    assert_eq!(
        bucket_public_access_blocked(&f, now()).compliance,
        Compliance::Compliant
    );
    f.exposure.bucket_bpa = None;
    f.exposure.account_bpa = AccountBpa::Known(Some(BlockPublicAccess::ALL));
    assert_eq!(
        bucket_public_access_blocked(&f, now()).compliance,
        Compliance::Compliant
    );
    let mut reviewed = bucket(Some(PUBLIC_READ), REVIEWED);
    reviewed.exposure.account_bpa = AccountBpa::Unknown("AccessDenied".into());
    let e = bucket_public_access_blocked(&reviewed, now());
    assert_eq!(e.compliance, Compliance::Compliant);
    assert!(
        e.annotation.contains("account settings unknown"),
        "{}",
        e.annotation
    );
}

/// Case 2: the separate "bucket-level BPA configured" check stays distinct from exposure.
#[test]
fn case_2_account_bpa_makes_exposure_compliant_and_s3_002_compliant() {
    let mut f = bucket(Some(PUBLIC_READ), &[]);
    f.exposure.account_bpa = AccountBpa::Known(Some(BlockPublicAccess::ALL));
    f.exposure.ownership = ObjectOwnership::ObjectWriter;
    f.exposure.acl = vec![AclGrant {
        group_uri: Some("http://acs.amazonaws.com/groups/global/AllUsers".into()),
        permission: "READ".into(),
    }];
    assert_eq!(
        bucket_access_reviewed(&f, now()).compliance,
        Compliance::Compliant
    );
    assert_eq!(
        bucket_public_access_blocked(&f, now()).compliance,
        Compliance::Compliant
    );
}

/// Case 32: SSE-S3 with BucketKeyEnabled=false is encrypted; KMS only when the rule demands it.
#[test]
fn case_32_sse_s3_is_encrypted_at_rest() {
    let f = bucket(None, &[]);
    let params = S3Params::default();
    assert_eq!(
        bucket_encrypted_at_rest(&f, &params, now()).compliance,
        Compliance::Compliant
    );
    let kms = S3Params {
        require_kms: true,
        ..S3Params::default()
    };
    assert_eq!(
        bucket_encrypted_at_rest(&f, &kms, now()).compliance,
        Compliance::NonCompliant
    );
    let mut k = bucket(None, &[]);
    k.encryption = vec!["aws:kms:dsse".into()];
    assert_eq!(
        bucket_encrypted_at_rest(&k, &kms, now()).compliance,
        Compliance::Compliant
    );
    k.encryption.clear();
    assert_eq!(
        bucket_encrypted_at_rest(&k, &params, now()).compliance,
        Compliance::NonCompliant
    );
}

#[test]
fn tls_is_required_only_by_a_deny_on_secure_transport_false() {
    assert_eq!(
        bucket_requires_tls(&bucket(Some(TLS_ONLY), &[]), now()).compliance,
        Compliance::Compliant
    );
    assert_eq!(
        bucket_requires_tls(&bucket(None, &[]), now()).compliance,
        Compliance::NonCompliant
    );
    assert_eq!(
        bucket_requires_tls(&bucket(Some(PUBLIC_READ), &[]), now()).compliance,
        Compliance::NonCompliant
    );
    let allow_true = TLS_ONLY
        .replace("Deny", "Allow")
        .replace("\"false\"", "\"true\"");
    assert_eq!(
        bucket_requires_tls(&bucket(Some(&allow_true), &[]), now()).compliance,
        Compliance::NonCompliant
    );
    let tls_version = r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::site/*","Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}}}]}"#;
    assert_eq!(
        bucket_requires_tls(&bucket(Some(tls_version), &[]), now()).compliance,
        Compliance::Compliant
    );
}

#[test]
fn only_sensitive_buckets_need_access_logging() {
    let p = S3Params::default();
    assert_eq!(
        sensitive_bucket_access_logged(&bucket(None, &[]), &p, now()).compliance,
        Compliance::NotApplicable
    );
    let mut s = bucket(None, &[("ftr:sensitive", "true")]);
    assert_eq!(
        sensitive_bucket_access_logged(&s, &p, now()).compliance,
        Compliance::NonCompliant
    );
    s.access_logging = true;
    assert_eq!(
        sensitive_bucket_access_logged(&s, &p, now()).compliance,
        Compliance::Compliant
    );
    let off = bucket(None, &[("FTR:Sensitive", "false")]);
    assert_eq!(
        sensitive_bucket_access_logged(&off, &p, now()).compliance,
        Compliance::NotApplicable
    );
}
