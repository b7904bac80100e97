//! `root-activity-alert`: CloudTrail records of root-user activity → an ARC-001/ARC-004 finding
//! and an SNS alert, once per record.

use aws_sdk_securityhub::types::{ComplianceStatus, RecordState};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::evaluate::root_activity::{classify_root_activity, RootActivity, RootActivityVerdict};
use crate::events::cloudtrail::CloudTrailEvent;
use crate::handlers::{AlertDelivery, Delivered, HandlerError};
use crate::sinks::alerts::{Actor, Alert};
use crate::sinks::securityhub::{
    finding_id, FindingContext, FindingSpec, ROOT_ACTIVITY_FINDING_TYPE,
};

/// What to send for one record.
#[derive(Debug, Clone, PartialEq)]
pub struct RootActivityPlan {
    pub activity: RootActivity,
    pub context: FindingContext,
    pub finding: FindingSpec,
    pub alert: Alert,
}

/// Decide, without I/O, what a record calls for. `region` is where findings are imported.
pub fn plan_root_activity(
    event: &Value,
    region: &str,
) -> Result<Option<RootActivityPlan>, HandlerError> {
    let ev = CloudTrailEvent::parse(event)?;
    let activity = match classify_root_activity(&ev) {
        RootActivityVerdict::Alert(a) => a,
        RootActivityVerdict::NoAction(why) => {
            tracing::info!(event_id = ev.dedup_id(), event_name = %ev.detail.event_name, reason = why, "no action");
            return Ok(None);
        }
    };
    let account = ev.account_id().to_string();
    let context = FindingContext::new(&account, region);
    let occurred_at = ev.occurred_at();
    let d = &ev.detail;
    let actor = Actor::of(&ev);
    let mut details: Vec<(String, String)> = vec![
        (
            "Event".into(),
            format!("{} ({})", d.event_name, d.event_source),
        ),
        ("Event ID".into(), ev.dedup_id().to_string()),
        ("Category".into(), activity.category.as_str().to_string()),
    ];
    if let Some(key) = d
        .user_identity
        .access_key_id
        .as_ref()
        .filter(|k| !k.is_empty())
    {
        details.push(("Access key".into(), key.clone()));
    }
    details.extend(
        activity
            .details
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone())),
    );
    let resource_type = "AWS::::Account";
    let id = finding_id(&context, activity.control, "activity", ev.dedup_id());
    let description = format!(
        "{} by {} from {} at {} (event {}, {}).",
        activity.headline,
        actor.principal.as_deref().unwrap_or("unknown principal"),
        actor.source_ip.as_deref().unwrap_or("unknown address"),
        occurred_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| "unknown time".into()),
        ev.dedup_id(),
        ev.region()
    );
    let finding = FindingSpec {
        id: id.clone(),
        control: activity.control,
        severity: activity.severity,
        finding_type: ROOT_ACTIVITY_FINDING_TYPE,
        title: format!("FTR {}: {}", activity.control.id, activity.headline),
        description,
        resource_type: "AwsAccount".into(),
        resource_id: format!("{resource_type}:{account}"),
        compliance: ComplianceStatus::Failed,
        record_state: RecordState::Active,
        observed_at: occurred_at.unwrap_or_else(Utc::now),
        product_fields: vec![
            ("ftr/ControlId".into(), activity.control.id.into()),
            ("ftr/Category".into(), activity.category.as_str().into()),
            ("ftr/EventId".into(), ev.dedup_id().into()),
            ("ftr/EventName".into(), d.event_name.clone()),
        ],
    };
    let alert = Alert {
        control: activity.control,
        severity: activity.severity,
        what: activity.headline.clone(),
        account_id: account.clone(),
        region: ev.region().to_string(),
        occurred_at,
        actor: Some(actor),
        resource: format!("account {account}"),
        details,
        dedup_key: format!("root-activity#{account}#{}", ev.dedup_id()),
        finding_id: Some(id),
    };
    Ok(Some(RootActivityPlan {
        activity,
        context,
        finding,
        alert,
    }))
}

/// Plan and deliver.
pub async fn handle_root_activity(
    event: &Value,
    region: &str,
    delivery: &AlertDelivery,
    now: DateTime<Utc>,
) -> Result<Option<(RootActivityPlan, Delivered)>, HandlerError> {
    let Some(plan) = plan_root_activity(event, region)? else {
        return Ok(None);
    };
    let delivered =
        Box::pin(delivery.deliver(&plan.context, Some(&plan.finding), &plan.alert, now)).await?;
    tracing::info!(control = plan.activity.control.id, category = plan.activity.category.as_str(), severity = %plan.activity.severity, delivered = ?delivered, "root activity");
    Ok(Some((plan, delivered)))
}
