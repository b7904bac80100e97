//! `compliance-alert`: "Config Rules Compliance Change" events for ftr-* rules → an SNS alert
//! when a resource turns NON_COMPLIANT; nothing while it stays so.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::evaluate::compliance_change::{
    classify_compliance_change, ComplianceChange, ComplianceChangeVerdict,
};
use crate::handlers::{AlertDelivery, Delivered, HandlerError};
use crate::sinks::alerts::Alert;
use crate::sinks::securityhub::FindingContext;

/// Decide, without I/O, whether a compliance change calls for an alert.
pub fn plan_compliance_alert(event: &Value) -> Result<Option<Alert>, HandlerError> {
    let change = ComplianceChange::parse(event)?;
    let (control, change) = match classify_compliance_change(change) {
        ComplianceChangeVerdict::Alert { control, change } => (control, change),
        ComplianceChangeVerdict::NoAction(why) => {
            tracing::info!(reason = why, "no action");
            return Ok(None);
        }
    };
    let resource = if change.resource_type == crate::evaluation::ACCOUNT_RESOURCE_TYPE {
        format!("account {}", change.resource_id)
    } else {
        format!("{} {}", change.resource_type, change.resource_id)
    };
    let mut details = vec![
        ("Config rule".to_string(), change.rule_name.clone()),
        (
            "Previous result".to_string(),
            change
                .old
                .map(|c| c.as_str().to_string())
                .unwrap_or_else(|| "none".into()),
        ),
    ];
    if let Some(a) = &change.annotation {
        details.push(("Reason".to_string(), a.clone()));
    }
    Ok(Some(Alert {
        control,
        severity: control.severity,
        // Status first: a long resource id is what gets cut from the subject.
        what: format!("NON_COMPLIANT: {resource}"),
        account_id: change.account_id.clone(),
        region: change.region.clone(),
        occurred_at: change.recorded_at,
        actor: None,
        resource,
        details,
        dedup_key: change.dedup_key(),
        finding_id: None,
    }))
}

/// Plan and deliver.
pub async fn handle_compliance_change(
    event: &Value,
    delivery: &AlertDelivery,
    now: DateTime<Utc>,
) -> Result<Option<(Alert, Delivered)>, HandlerError> {
    let Some(alert) = plan_compliance_alert(event)? else {
        return Ok(None);
    };
    let ctx = FindingContext::new(&alert.account_id, &alert.region);
    let delivered = Box::pin(delivery.deliver(&ctx, None, &alert, now)).await?;
    Ok(Some((alert, delivered)))
}
