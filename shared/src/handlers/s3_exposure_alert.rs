//! `s3-exposure-alert`: a CloudTrail record of an API call that can change a bucket's exposure →
//! re-read the bucket's real state (the event payload is not trusted) → S3-001 finding (FAILED or
//! PASSED, the same finding the periodic rule writes) and, when the bucket is now public and not
//! reviewed, a CRITICAL alert naming the grant, who made the change, from where, and how to undo it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::catalogue::Severity;
use crate::collect::s3_buckets::{
    access_points_facts, account_bpa, bucket_facts, list_access_points, Depth, S3Clients,
};
use crate::collect::CollectError;
use crate::evaluate::s3_buckets::{bucket_access_reviewed, BUCKET_RESOURCE_TYPE};
use crate::evaluate::s3_exposure::bucket_exposure;
use crate::evaluation::{Compliance, Evaluation, Resource};
use crate::events::cloudtrail::CloudTrailEvent;
use crate::handlers::{AlertDelivery, Delivered, HandlerError};
use crate::sinks::alerts::{Actor, Alert};
use crate::sinks::securityhub::{finding_for_evaluation, FindingContext, FindingSpec};

/// Bucket-level API calls that can change exposure (CloudTrail `eventName`, source s3).
pub const EXPOSURE_EVENTS: &[&str] = &[
    "CreateBucket",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketAcl",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls",
];

/// Access point changes: the access point's bucket is re-judged with all its access points.
pub const ACCESS_POINT_EVENTS: &[&str] = &[
    "CreateAccessPoint",
    "PutAccessPointPolicy",
    "DeleteAccessPointPolicy",
];

/// Account-level Block Public Access changes (S3 Control, logged with source s3).
pub const ACCOUNT_EXPOSURE_EVENTS: &[&str] = &[
    "PutAccountPublicAccessBlock",
    "DeleteAccountPublicAccessBlock",
];

/// What one event led to.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureOutcome {
    pub bucket: String,
    pub evaluation: Evaluation,
    /// The S3-001 finding written (or that would be written) for it.
    pub finding: FindingSpec,
    /// Present when the bucket is public and not reviewed.
    pub alert: Option<(Alert, Delivered)>,
}

fn undo_hint(event_name: &str) -> &'static str {
    match event_name {
        "PutBucketPolicy" => "Restore the previous bucket policy or delete the public statement, and turn Block Public Access on.",
        "PutBucketAcl" | "CreateBucket" => "Set the bucket ACL back to private (or set Object Ownership to BucketOwnerEnforced), and turn Block Public Access on.",
        "DeleteBucketPublicAccessBlock" | "PutBucketPublicAccessBlock" => "Turn all four Block Public Access settings back on for the bucket.",
        "DeleteBucketOwnershipControls" | "PutBucketOwnershipControls" => "Set Object Ownership back to BucketOwnerEnforced to disable ACLs.",
        _ => "Remove the public grant and turn Block Public Access on.",
    }
}

/// Handle one CloudTrail record. `Ok(None)` when the record is not an exposure change.
pub async fn handle_s3_exposure_event(
    event: &Value,
    region: &str,
    s3: &S3Clients,
    delivery: &AlertDelivery,
    now: DateTime<Utc>,
) -> Result<Option<ExposureOutcome>, HandlerError> {
    let ev = CloudTrailEvent::parse(event)?;
    let d = &ev.detail;
    let account_level = ACCOUNT_EXPOSURE_EVENTS.contains(&d.event_name.as_str());
    let access_point = ACCESS_POINT_EVENTS.contains(&d.event_name.as_str());
    if d.event_source != "s3.amazonaws.com"
        || !(account_level || access_point || EXPOSURE_EVENTS.contains(&d.event_name.as_str()))
    {
        tracing::info!(event_name = %d.event_name, "not an exposure change; no action");
        return Ok(None);
    }
    if d.error_code.as_deref().is_some_and(|c| !c.is_empty()) {
        tracing::info!(event_name = %d.event_name, error = ?d.error_code, "the call failed; nothing changed");
        return Ok(None);
    }
    if account_level {
        return Box::pin(account_protection_changed(&ev, region, s3, delivery, now))
            .await
            .map(Some);
    }
    let account = ev.account_id().to_string();
    let bucket_owned: String = if access_point {
        // The record names the access point; its bucket comes from S3 Control.
        let Some(name) = d
            .request_parameters
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            return Err(HandlerError::CloudTrailEvent(
                crate::events::cloudtrail::CloudTrailEventError::Missing(
                    "detail.requestParameters.name",
                ),
            ));
        };
        let ap = s3
            .s3control
            .get_access_point()
            .account_id(&account)
            .name(name)
            .send()
            .await
            .map_err(|e| {
                CollectError::from(crate::error::AwsCallError::from_sdk(
                    "s3control:GetAccessPoint",
                    e,
                ))
            })?;
        match ap.bucket() {
            Some(b) if !b.is_empty() => b.to_string(),
            _ => {
                return Err(CollectError::Unreadable {
                    what: format!("access point {name}"),
                    message: "no bucket".into(),
                }
                .into())
            }
        }
    } else {
        match d
            .request_parameters
            .get("bucketName")
            .and_then(Value::as_str)
            .filter(|b| !b.is_empty())
        {
            Some(b) => b.to_string(),
            None => {
                return Err(HandlerError::CloudTrailEvent(
                    crate::events::cloudtrail::CloudTrailEventError::Missing(
                        "detail.requestParameters.bucketName",
                    ),
                ))
            }
        }
    };
    let bucket = bucket_owned.as_str();
    let ctx = FindingContext::new(&account, region);

    // Re-read the real state; the event says only that something changed.
    let account_settings = Box::pin(account_bpa(&s3.s3control, &account)).await?;
    let facts = match Box::pin(bucket_facts(
        &s3.s3,
        bucket,
        account_settings,
        Depth::Exposure,
    ))
    .await
    {
        Ok(f) => f,
        Err(CollectError::BucketGone(_)) => {
            let gone = Evaluation::deleted(
                crate::catalogue::control("S3-001").expect("S3-001"),
                Resource::new(BUCKET_RESOURCE_TYPE, bucket),
                now,
            );
            let finding = finding_for_evaluation(&gone, &ctx);
            if let Some(hub) = &delivery.securityhub {
                Box::pin(hub.import(&ctx, std::slice::from_ref(&finding), now)).await?;
            }
            return Ok(Some(ExposureOutcome {
                bucket: bucket.to_string(),
                evaluation: gone,
                finding,
                alert: None,
            }));
        }
        Err(e) => return Err(e.into()),
    };
    let mut facts = facts;
    let refs = Box::pin(list_access_points(&s3.s3control, &account, Some(bucket))).await?;
    facts.exposure.access_points =
        Box::pin(access_points_facts(&s3.s3control, &account, &refs)).await?;
    let evaluation = bucket_access_reviewed(&facts, now);
    let finding = finding_for_evaluation(&evaluation, &ctx);
    if evaluation.compliance != Compliance::NonCompliant {
        if let Some(hub) = &delivery.securityhub {
            Box::pin(hub.import(&ctx, std::slice::from_ref(&finding), now)).await?;
        }
        tracing::info!(bucket, compliance = %evaluation.compliance, "bucket not publicly exposed (or reviewed)");
        return Ok(Some(ExposureOutcome {
            bucket: bucket.to_string(),
            evaluation,
            finding,
            alert: None,
        }));
    }

    let exposure = bucket_exposure(&facts.exposure);
    let kind = match (exposure.read, exposure.write) {
        (true, true) => "made public read and write",
        (false, true) => "made public write",
        (true, false) => "made public read",
        (false, false) => "public via access point",
    };
    let mut details = vec![
        ("Bucket".to_string(), bucket.to_string()),
        (
            "Public access points".to_string(),
            if exposure.public_access_points.is_empty() {
                "none".to_string()
            } else {
                exposure.public_access_points.join(", ")
            },
        ),
        (
            "Change".to_string(),
            format!("{} (event {})", d.event_name, ev.dedup_id()),
        ),
        ("Exposure".to_string(), exposure.summary()),
    ];
    if let Some(key) = d
        .user_identity
        .access_key_id
        .as_ref()
        .filter(|k| !k.is_empty())
    {
        details.push(("Access key".to_string(), key.clone()));
    }
    details.push((
        "How to undo".to_string(),
        undo_hint(&d.event_name).to_string(),
    ));
    let alert = Alert {
        control: evaluation.control,
        severity: Severity::Critical,
        what: format!("Bucket {bucket} {kind}"),
        account_id: account.clone(),
        region: ev.region().to_string(),
        occurred_at: ev.occurred_at(),
        actor: Some(Actor::of(&ev)),
        resource: format!("arn:{}:s3:::{bucket}", ctx.partition),
        details,
        dedup_key: format!("s3-exposure#{account}#{bucket}#{}", ev.dedup_id()),
        finding_id: Some(finding.id.clone()),
    };
    let delivered = Box::pin(delivery.deliver(&ctx, Some(&finding), &alert, now)).await?;
    tracing::info!(bucket, delivered = ?delivered, "bucket publicly exposed");
    Ok(Some(ExposureOutcome {
        bucket: bucket.to_string(),
        evaluation,
        finding,
        alert: Some((alert, delivered)),
    }))
}

/// The account's Block Public Access was changed: re-read it; anything short of all four on is a
/// HIGH alert (every bucket's exposure is then re-judged by the ftr-s3-001 rule, which Config
/// triggers on the same change).
async fn account_protection_changed(
    ev: &CloudTrailEvent,
    region: &str,
    s3: &S3Clients,
    delivery: &AlertDelivery,
    now: DateTime<Utc>,
) -> Result<ExposureOutcome, HandlerError> {
    use crate::evaluate::s3_exposure::AccountBpa;
    let d = &ev.detail;
    let account = ev.account_id().to_string();
    let ctx = FindingContext::new(&account, region);
    let settings = Box::pin(account_bpa(&s3.s3control, &account)).await?;
    let c = crate::catalogue::control("S3-002").expect("S3-002");
    let resource = Resource::new("AWS::S3::AccountPublicAccessBlock", &account);
    let (compliance, annotation) = match &settings {
        AccountBpa::Known(Some(b)) if b.all_on() => {
            (Compliance::Compliant, "Account-level Block Public Access has all four settings on.".to_string())
        }
        AccountBpa::Known(Some(b)) => (
            Compliance::NonCompliant,
            format!(
                "Account-level Block Public Access is partly off (BlockPublicAcls={}, IgnorePublicAcls={}, BlockPublicPolicy={}, RestrictPublicBuckets={}).",
                b.block_public_acls, b.ignore_public_acls, b.block_public_policy, b.restrict_public_buckets
            ),
        ),
        AccountBpa::Known(None) => (Compliance::NonCompliant, "Account-level Block Public Access was removed: every setting is off.".to_string()),
        AccountBpa::Unknown(why) => (Compliance::NonCompliant, format!("Account-level Block Public Access could not be read ({why}) after a change.")),
    };
    let evaluation = Evaluation::new(c, resource, compliance, annotation, now);
    let finding = finding_for_evaluation(&evaluation, &ctx);
    if compliance != Compliance::NonCompliant {
        if let Some(hub) = &delivery.securityhub {
            Box::pin(hub.import(&ctx, std::slice::from_ref(&finding), now)).await?;
        }
        return Ok(ExposureOutcome {
            bucket: format!("account {account}"),
            evaluation,
            finding,
            alert: None,
        });
    }
    let alert = Alert {
        control: c,
        severity: Severity::High,
        what: "Account Block Public Access weakened".to_string(),
        account_id: account.clone(),
        region: ev.region().to_string(),
        occurred_at: ev.occurred_at(),
        actor: Some(Actor::of(ev)),
        resource: format!("account {account} (S3 Block Public Access)"),
        details: vec![
            ("Change".to_string(), format!("{} (event {})", d.event_name, ev.dedup_id())),
            ("State now".to_string(), evaluation.annotation.clone()),
            (
                "How to undo".to_string(),
                "Turn all four Block Public Access settings back on for the account (S3 console, Block Public Access settings for this account).".to_string(),
            ),
        ],
        dedup_key: format!("s3-account-bpa#{account}#{}", ev.dedup_id()),
        finding_id: Some(finding.id.clone()),
    };
    let delivered = Box::pin(delivery.deliver(&ctx, Some(&finding), &alert, now)).await?;
    Ok(ExposureOutcome {
        bucket: format!("account {account}"),
        evaluation,
        finding,
        alert: Some((alert, delivered)),
    })
}
