//! The monitor's own set-up, read back: the exposure alert rule and the alert topic's subscriptions.

use crate::collect::CollectError;
use crate::error::AwsCallError;
use crate::evaluate::s3_monitoring::MonitoringFacts;

pub async fn monitoring_facts(
    events: &aws_sdk_eventbridge::Client,
    sns: &aws_sdk_sns::Client,
    account_id: &str,
    rule_name: &str,
    topic_arn: &str,
) -> Result<MonitoringFacts, CollectError> {
    let rule_state = match events.describe_rule().name(rule_name).send().await {
        Ok(out) => Some(
            out.state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "UNKNOWN".into()),
        ),
        Err(e) => {
            let e = AwsCallError::from_sdk("events:DescribeRule", e);
            if e.code_is("ResourceNotFoundException") {
                None
            } else {
                return Err(e.into());
            }
        }
    };
    let (mut confirmed, mut pending, mut exists) = (0usize, 0usize, true);
    let mut token: Option<String> = None;
    loop {
        match sns
            .list_subscriptions_by_topic()
            .topic_arn(topic_arn)
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(page) => {
                for s in page.subscriptions() {
                    match s.subscription_arn() {
                        Some("PendingConfirmation") => pending += 1,
                        Some("Deleted") | None => {}
                        Some(_) => confirmed += 1,
                    }
                }
                token = page
                    .next_token()
                    .filter(|t| !t.is_empty())
                    .map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
            Err(e) => {
                let e = AwsCallError::from_sdk("sns:ListSubscriptionsByTopic", e);
                if e.code_is("NotFound") || e.code_is("NotFoundException") {
                    exists = false;
                    break;
                }
                return Err(e.into());
            }
        }
    }
    Ok(MonitoringFacts {
        account_id: account_id.to_string(),
        rule_name: rule_name.to_string(),
        rule_state,
        topic_arn: topic_arn.to_string(),
        confirmed_subscriptions: exists.then_some(confirmed),
        pending_subscriptions: pending,
    })
}
