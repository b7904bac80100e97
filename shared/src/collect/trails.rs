//! CloudTrail trails' S3 data-event selectors (for SDAT-004), read once per run.

use aws_sdk_cloudtrail::types::ReadWriteType;

use crate::collect::CollectError;
use crate::error::AwsCallError;
use crate::facts::data_events::DataEventCoverage;

/// Coverage by trails that are logging. A trail whose selectors or status this account cannot
/// read (an organization trail owned elsewhere) is skipped and named in the second value.
pub async fn s3_data_event_coverage(
    cloudtrail: &aws_sdk_cloudtrail::Client,
) -> Result<(DataEventCoverage, Vec<String>), CollectError> {
    let trails = cloudtrail
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| AwsCallError::from_sdk("cloudtrail:DescribeTrails", e))?;
    let mut coverage = DataEventCoverage::default();
    let mut unreadable = Vec::new();
    for t in trails.trail_list() {
        let Some(arn) = t.trail_arn().or(t.name()) else {
            continue;
        };
        let name = t.name().unwrap_or(arn).to_string();
        let selectors = match cloudtrail
            .get_event_selectors()
            .trail_name(arn)
            .send()
            .await
        {
            Ok(s) => s,
            Err(e) => {
                let e = AwsCallError::from_sdk("cloudtrail:GetEventSelectors", e);
                if e.retryable {
                    return Err(e.into());
                }
                unreadable.push(name);
                continue;
            }
        };
        let logging = match cloudtrail.get_trail_status().name(arn).send().await {
            Ok(s) => s.is_logging().unwrap_or(false),
            Err(e) => {
                let e = AwsCallError::from_sdk("cloudtrail:GetTrailStatus", e);
                if e.retryable {
                    return Err(e.into());
                }
                unreadable.push(name);
                continue;
            }
        };
        if !logging {
            continue;
        }
        for s in selectors.event_selectors() {
            let reads = !matches!(s.read_write_type(), Some(ReadWriteType::WriteOnly));
            for r in s.data_resources() {
                if r.r#type() == Some("AWS::S3::Object") {
                    coverage.add_basic(&name, reads, r.values());
                }
            }
        }
        for a in selectors.advanced_event_selectors() {
            let fields: Vec<(String, Vec<String>, Vec<String>)> = a
                .field_selectors()
                .iter()
                .map(|f| {
                    (
                        f.field().to_string(),
                        f.equals().to_vec(),
                        f.starts_with().to_vec(),
                    )
                })
                .collect();
            coverage.add_advanced(&name, &fields);
        }
    }
    Ok((coverage, unreadable))
}
