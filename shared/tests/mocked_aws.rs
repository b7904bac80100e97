//! Paths the local emulator (moto 5.2.5) cannot exercise, covered with aws-smithy-mocks:
//! credential report generation races (case 14; moto's report is always ready), PutEvaluations
//! outside TestMode and its FailedEvaluations (case 24), BatchImportFindings partial failures
//! (case 25; moto accepts everything), GetResourceConfigHistory for oversized items (case 22).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_config::operation::get_resource_config_history::GetResourceConfigHistoryOutput;
use aws_sdk_config::operation::put_evaluations::PutEvaluationsOutput;
use aws_sdk_config::types::{ConfigurationItem as SdkItem, ConfigurationItemStatus, ResourceType};
use aws_sdk_iam::operation::generate_credential_report::GenerateCredentialReportOutput;
use aws_sdk_iam::operation::get_account_summary::GetAccountSummaryOutput;
use aws_sdk_iam::operation::get_credential_report::{
    GetCredentialReportError, GetCredentialReportOutput,
};
use aws_sdk_iam::types::error::CredentialReportNotReadyException;
use aws_sdk_iam::types::{ReportStateType, SummaryKeyType};
use aws_sdk_securityhub::operation::batch_import_findings::BatchImportFindingsOutput;
use aws_sdk_securityhub::types::ImportFindingsError;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::Blob;
use chrono::Utc;
use ftr_shared::catalogue::control;
use ftr_shared::collect::root_account::{CollectError, ReportWait};
use ftr_shared::error::Retryable;
use ftr_shared::evaluation::{Compliance, Evaluation, Resource};
use ftr_shared::events::config_rule::ResultToken;
use ftr_shared::handlers::root_account_rules::RootAccountRules;
use ftr_shared::handlers::HandlerError;
use ftr_shared::sinks::config::ConfigSink;
use ftr_shared::sinks::securityhub::{
    finding_for_evaluation, FindingContext, FindingSpec, ImportSummary, SecurityHubSink,
};
use ftr_shared::sinks::SinkError;
use serde_json::Value;

const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

fn fixture(path: &str) -> Value {
    let p = format!("{}/../fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn report_with_root_used(days_ago: i64) -> String {
    let used = (Utc::now() - chrono::Duration::days(days_ago)).format("%Y-%m-%dT%H:%M:%S+00:00");
    format!("{HEADER}\n<root_account>,arn:aws:iam::111122223333:root,2019-01-10T10:00:00+00:00,not_supported,{used},not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")
}

fn summary_rule(mfa: i32, keys: i32) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_iam::Client::get_account_summary).then_output(move || {
        GetAccountSummaryOutput::builder()
            .summary_map(SummaryKeyType::AccountMfaEnabled, mfa)
            .summary_map(SummaryKeyType::AccountAccessKeysPresent, keys)
            .summary_map(SummaryKeyType::AccountPasswordPresent, 1)
            .build()
    })
}

fn generate(state: ReportStateType) -> GenerateCredentialReportOutput {
    GenerateCredentialReportOutput::builder()
        .state(state)
        .build()
}

fn fast_wait(budget_ms: u64) -> ReportWait {
    ReportWait {
        budget: Duration::from_millis(budget_ms),
        first_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

/// Records the size and TestMode flag of every PutEvaluations call.
type PutLog = Arc<Mutex<Vec<(usize, Option<bool>, Vec<(String, String, String)>)>>>;

fn put_evaluations_rule(log: PutLog) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_config::Client::put_evaluations).then_compute_output(move |req| {
        let evs = req.evaluations();
        log.lock().unwrap().push((
            evs.len(),
            req.test_mode(),
            evs.iter()
                .map(|e| {
                    (
                        e.compliance_resource_type().to_string(),
                        e.compliance_resource_id().to_string(),
                        e.ordering_timestamp().to_string(),
                    )
                })
                .collect(),
        ));
        PutEvaluationsOutput::builder().build()
    })
}

fn rules_with(
    iam: aws_sdk_iam::Client,
    config: aws_sdk_config::Client,
    wait: ReportWait,
) -> RootAccountRules {
    RootAccountRules {
        iam,
        config: ConfigSink::new(config.clone()),
        config_client: config,
        securityhub: None,
        region: "eu-west-1".into(),
        report_wait: wait,
    }
}

/// Case 14: the report never becomes ready inside the budget → no verdict, nothing posted.
#[tokio::test]
async fn credential_report_never_ready_gives_no_verdict() {
    let gen = mock!(aws_sdk_iam::Client::generate_credential_report)
        .sequence()
        .output(|| generate(ReportStateType::Started))
        .output(|| generate(ReportStateType::Inprogress))
        .repeatedly()
        .build();
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&gen, &summary_rule(1, 0)]);
    let log = PutLog::default();
    let put = put_evaluations_rule(log.clone());
    let config = mock_client!(aws_sdk_config, [&put]);
    let handler = rules_with(iam, config, fast_wait(150));
    let err = handler
        .handle(&fixture("config/periodic-ftr-arc-001.json"), Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            HandlerError::Collect(CollectError::CredentialReportNotReady { .. })
        ),
        "{err}"
    );
    assert!(err.is_retryable(), "the invocation fails so Config retries");
    assert!(gen.num_calls() >= 3, "polled {} times", gen.num_calls());
    assert_eq!(put.num_calls(), 0, "no guessed evaluation is posted");
}

/// Case 14 variant: COMPLETE on the third poll → normal evaluation.
#[tokio::test]
async fn credential_report_complete_on_third_poll_is_evaluated() {
    let gen = mock!(aws_sdk_iam::Client::generate_credential_report)
        .sequence()
        .output(|| generate(ReportStateType::Started))
        .output(|| generate(ReportStateType::Inprogress))
        .output(|| generate(ReportStateType::Complete))
        .build();
    let get = mock!(aws_sdk_iam::Client::get_credential_report).then_output(|| {
        GetCredentialReportOutput::builder()
            .content(Blob::new(report_with_root_used(3)))
            .build()
    });
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&gen, &get, &summary_rule(1, 0)]
    );
    let log = PutLog::default();
    let put = put_evaluations_rule(log.clone());
    let config = mock_client!(aws_sdk_config, [&put]);
    let handler = rules_with(iam, config, fast_wait(5_000));
    let out = handler
        .handle(&fixture("config/periodic-ftr-arc-001.json"), Utc::now())
        .await
        .unwrap();
    assert_eq!(gen.num_calls(), 3);
    assert_eq!(out.evaluations.len(), 1);
    assert_eq!(out.evaluations[0].compliance, Compliance::NonCompliant);
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].1, Some(true), "TESTMODE token → TestMode=true");
    // Case 24: account-level resource type and id, ordering timestamp = notificationCreationTime.
    assert_eq!(log[0].2[0].0, "AWS::::Account");
    assert_eq!(log[0].2[0].1, "111122223333");
    assert_eq!(log[0].2[0].2, "2026-11-30T11:00:00Z");
}

/// Case 14 variant: Generate says COMPLETE but Get races with ReportInProgress → poll again.
#[tokio::test]
async fn report_in_progress_on_get_is_polled_again() {
    let gen = mock!(aws_sdk_iam::Client::generate_credential_report)
        .then_output(|| generate(ReportStateType::Complete));
    let get = mock!(aws_sdk_iam::Client::get_credential_report)
        .sequence()
        .error(|| {
            GetCredentialReportError::CredentialReportNotReadyException(
                CredentialReportNotReadyException::builder()
                    .message("Report is in progress")
                    .meta(ErrorMetadata::builder().code("ReportInProgress").build())
                    .build(),
            )
        })
        .output(|| {
            GetCredentialReportOutput::builder()
                .content(Blob::new(report_with_root_used(300)))
                .build()
        })
        .build();
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&gen, &get, &summary_rule(0, 1)]
    );
    let report = ftr_shared::collect::root_account::fetch_credential_report(&iam, fast_wait(5_000))
        .await
        .unwrap();
    assert!(report.root().is_some());
    assert_eq!(get.num_calls(), 2);
}

/// Case 24: 250 evaluations in TESTMODE → three calls of 100, 100 and 50, TestMode=true,
/// each resource exactly once.
#[tokio::test]
async fn put_evaluations_chunks_of_100_in_test_mode() {
    let log = PutLog::default();
    let put = put_evaluations_rule(log.clone());
    let config = mock_client!(aws_sdk_config, RuleMode::MatchAny, [&put]);
    let c = control("IAM-007").unwrap();
    let evals: Vec<Evaluation> = (0..250)
        .map(|i| {
            Evaluation::new(
                c,
                Resource::new("AWS::IAM::User", format!("AIDAUSER{i:04}")),
                Compliance::Compliant,
                "ok",
                Utc::now(),
            )
        })
        .collect();
    let calls = ConfigSink::new(config)
        .put_evaluations(&ResultToken::TestMode, &evals)
        .await
        .unwrap();
    assert_eq!(calls, 3);
    let log = log.lock().unwrap();
    let sizes: Vec<usize> = log.iter().map(|l| l.0).collect();
    assert_eq!(sizes, vec![100, 100, 50]);
    assert!(log.iter().all(|l| l.1 == Some(true)));
    let mut ids: Vec<&String> = log.iter().flat_map(|l| l.2.iter().map(|e| &e.1)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 250, "each user evaluated exactly once");
}

/// FailedEvaluations inside a successful answer are retried, then surfaced, never ignored.
#[tokio::test]
async fn failed_evaluations_are_retried_then_surfaced() {
    let put = mock!(aws_sdk_config::Client::put_evaluations).then_compute_output(|req| {
        PutEvaluationsOutput::builder()
            .set_failed_evaluations(Some(req.evaluations().to_vec()))
            .build()
    });
    let config = mock_client!(aws_sdk_config, RuleMode::MatchAny, [&put]);
    let e = Evaluation::new(
        control("ARC-003").unwrap(),
        Resource::account("111122223333"),
        Compliance::NonCompliant,
        "no MFA",
        Utc::now(),
    );
    let err = ConfigSink::new(config)
        .put_evaluations(&ResultToken::Token("tok".into()), &[e])
        .await
        .unwrap_err();
    assert!(matches!(err, SinkError::Rejected { count: 1, .. }), "{err}");
    assert_eq!(put.num_calls(), 3);
}

fn evals(n: usize) -> Vec<Evaluation> {
    (0..n)
        .map(|i| {
            Evaluation::new(
                control("IAM-001").unwrap(),
                Resource::new("AWS::IAM::User", format!("AIDAUSER{i:04}")),
                Compliance::NonCompliant,
                "console password without MFA",
                Utc::now(),
            )
        })
        .collect()
}

/// Import `n` IAM-001 findings through a Security Hub client mocked with `rule`.
async fn import_findings(
    rule: &aws_smithy_mocks::Rule,
    mode: RuleMode,
    n: usize,
) -> (Vec<FindingSpec>, Result<ImportSummary, SinkError>) {
    let hub = mock_client!(aws_sdk_securityhub, mode, [rule]);
    let ctx = FindingContext::new("111122223333", "eu-west-1");
    let specs: Vec<_> = evals(n)
        .iter()
        .map(|e| finding_for_evaluation(e, &ctx))
        .collect();
    let result = SecurityHubSink::new(hub)
        .import(&ctx, &specs, Utc::now())
        .await;
    (specs, result)
}

/// Case 25: 109 findings → two calls (100 + 9).
#[tokio::test]
async fn findings_are_imported_in_chunks_of_100() {
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let s2 = sizes.clone();
    let import =
        mock!(aws_sdk_securityhub::Client::batch_import_findings).then_compute_output(move |req| {
            s2.lock().unwrap().push(req.findings().len());
            for f in req.findings() {
                let text = f
                    .remediation()
                    .unwrap()
                    .recommendation()
                    .unwrap()
                    .text()
                    .unwrap();
                assert!(text.chars().count() <= 512);
                assert!(!f.resources()[0].r#type().unwrap().is_empty());
            }
            BatchImportFindingsOutput::builder()
                .failed_count(0)
                .success_count(req.findings().len() as i32)
                .build()
        });
    let (_, result) = import_findings(&import, RuleMode::MatchAny, 109).await;
    let summary = result.unwrap();
    assert_eq!(*sizes.lock().unwrap(), vec![100, 9]);
    assert_eq!(summary.imported, 109);
    assert_eq!(summary.calls, 2);
}

/// Case 25: per-finding failures inside a 200 answer are a failure naming each finding.
#[tokio::test]
async fn failed_findings_inside_a_success_answer_are_failures() {
    let import =
        mock!(aws_sdk_securityhub::Client::batch_import_findings).then_compute_output(|req| {
            let ids: Vec<String> = req
                .findings()
                .iter()
                .map(|f| f.id().unwrap().to_string())
                .collect();
            BatchImportFindingsOutput::builder()
                .failed_count(2)
                .success_count(1)
                .failed_findings(
                    ImportFindingsError::builder()
                        .id(&ids[0])
                        .error_code("InvalidInput")
                        .error_message("Remediation.Recommendation.Text too long")
                        .build(),
                )
                .failed_findings(
                    ImportFindingsError::builder()
                        .id(&ids[1])
                        .error_code("InvalidInput")
                        .error_message("Resources[0].Type is empty")
                        .build(),
                )
                .build()
        });
    let (specs, result) = import_findings(&import, RuleMode::MatchAny, 3).await;
    let err = result.unwrap_err();
    match &err {
        SinkError::Rejected { count, details, .. } => {
            assert_eq!(*count, 2);
            assert!(
                details.contains(&specs[0].id) && details.contains(&specs[1].id),
                "{details}"
            );
        }
        other => panic!("{other}"),
    }
    assert_eq!(import.num_calls(), 1, "schema errors are not retried");
}

/// Throttling-like per-finding failures are retried for just the failed findings.
#[tokio::test]
async fn throttled_findings_are_retried_alone() {
    let import = mock!(aws_sdk_securityhub::Client::batch_import_findings)
        .sequence()
        .output(|| {
            BatchImportFindingsOutput::builder()
                .failed_count(1)
                .success_count(2)
                .failed_findings(
                    ImportFindingsError::builder()
                        .id("ftr/111122223333/eu-west-1/ftr-iam-001/AWS::IAM::User/AIDAUSER0001")
                        .error_code("TooManyRequestsException")
                        .error_message("slow down")
                        .build(),
                )
                .build()
        })
        .output(|| {
            BatchImportFindingsOutput::builder()
                .failed_count(0)
                .success_count(1)
                .build()
        })
        .build();
    let (_, result) = import_findings(&import, RuleMode::Sequential, 3).await;
    let summary = result.unwrap();
    assert_eq!(summary.imported, 3);
    assert_eq!(summary.calls, 2);
}

/// Case 25: a finding with an empty resource type is refused before sending.
#[tokio::test]
async fn invalid_findings_are_refused_before_sending() {
    let import = mock!(aws_sdk_securityhub::Client::batch_import_findings).then_output(|| {
        BatchImportFindingsOutput::builder()
            .failed_count(0)
            .success_count(1)
            .build()
    });
    let hub = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&import]);
    let ctx = FindingContext::new("111122223333", "eu-west-1");
    let mut spec = finding_for_evaluation(&evals(1)[0], &ctx);
    spec.resource_type = String::new();
    let err = SecurityHubSink::new(hub)
        .import(&ctx, &[spec], Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, SinkError::Invalid(_)), "{err}");
    assert_eq!(import.num_calls(), 0);
}

/// Case 22: an oversized notification is resolved with GetResourceConfigHistory(limit 1), and the
/// rule gives its normal verdict (never NOT_APPLICABLE by default).
#[tokio::test]
async fn oversized_item_is_fetched_from_history_and_evaluated() {
    let history = mock!(aws_sdk_config::Client::get_resource_config_history)
        .match_requests(|r| {
            r.resource_type() == Some(&ResourceType::Bucket)
                && r.resource_id() == Some("example-data-bucket")
                && r.limit() == Some(1)
        })
        .then_output(|| {
            GetResourceConfigHistoryOutput::builder()
                .configuration_items(
                    SdkItem::builder()
                        .resource_type(ResourceType::Bucket)
                        .resource_id("example-data-bucket")
                        .account_id("111122223333")
                        .aws_region("eu-west-1")
                        .configuration_item_status(ConfigurationItemStatus::Ok)
                        .configuration_item_capture_time(aws_smithy_types::DateTime::from_secs(
                            1_709_287_200,
                        ))
                        .configuration(r#"{"name":"example-data-bucket"}"#)
                        .build(),
                )
                .build()
        });
    let log = PutLog::default();
    let put = put_evaluations_rule(log.clone());
    let config = mock_client!(aws_sdk_config, RuleMode::MatchAny, [&history, &put]);
    let gen = mock!(aws_sdk_iam::Client::generate_credential_report)
        .then_output(|| generate(ReportStateType::Complete));
    let get = mock!(aws_sdk_iam::Client::get_credential_report).then_output(|| {
        GetCredentialReportOutput::builder()
            .content(Blob::new(report_with_root_used(300)))
            .build()
    });
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&gen, &get, &summary_rule(0, 0)]
    );
    let handler = rules_with(iam, config.clone(), fast_wait(5_000));
    let out = handler
        .handle(&fixture("config/oversized-item.json"), Utc::now())
        .await
        .unwrap();
    assert_eq!(history.num_calls(), 1);
    assert_eq!(
        out.evaluations[0].compliance,
        Compliance::NonCompliant,
        "root without MFA"
    );
    // The item itself is read back intact for rules that judge it.
    let inv = ftr_shared::events::config_rule::RuleInvocation::parse(&fixture(
        "config/oversized-item.json",
    ))
    .unwrap();
    match ftr_shared::handlers::resolve_subject(&inv, &config)
        .await
        .unwrap()
    {
        ftr_shared::handlers::Subject::Item(item) => {
            assert_eq!(item.resource_id, "example-data-bucket");
            assert_eq!(item.configuration.unwrap()["name"], "example-data-bucket");
        }
        other => panic!("{other:?}"),
    }
}

/// Case 23: a deleted resource → NOT_APPLICABLE at its capture time; nothing is read from IAM.
#[tokio::test]
async fn deleted_resource_is_not_applicable_at_capture_time() {
    let log = PutLog::default();
    let put = put_evaluations_rule(log.clone());
    let config = mock_client!(aws_sdk_config, RuleMode::MatchAny, [&put]);
    let gen = mock!(aws_sdk_iam::Client::generate_credential_report)
        .then_output(|| generate(ReportStateType::Complete));
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&gen]);
    let handler = rules_with(iam, config, fast_wait(100));
    let out = handler
        .handle(&fixture("config/deleted-resource.json"), Utc::now())
        .await
        .unwrap();
    assert_eq!(gen.num_calls(), 0);
    let e = &out.evaluations[0];
    assert_eq!(e.compliance, Compliance::NotApplicable);
    assert_eq!(
        e.resource,
        Resource::new("AWS::IAM::User", "AIDAEXAMPLEUSERID0001")
    );
    let log = log.lock().unwrap();
    assert_eq!(log[0].2[0].2, "2024-03-02T08:00:00Z");
    let ctx = FindingContext::new("111122223333", "eu-west-1");
    let f = finding_for_evaluation(e, &ctx);
    assert_eq!(
        f.record_state,
        aws_sdk_securityhub::types::RecordState::Archived
    );
}

/// An AccessDenied on the account summary is an error (a permission gap), never a verdict.
#[tokio::test]
async fn access_denied_is_an_error_not_a_verdict() {
    let summary = mock!(aws_sdk_iam::Client::get_account_summary).then_error(|| {
        aws_sdk_iam::operation::get_account_summary::GetAccountSummaryError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not authorized")
                .build(),
        )
    });
    let gen = mock!(aws_sdk_iam::Client::generate_credential_report)
        .then_output(|| generate(ReportStateType::Complete));
    let get = mock!(aws_sdk_iam::Client::get_credential_report).then_output(|| {
        GetCredentialReportOutput::builder()
            .content(Blob::new(report_with_root_used(300)))
            .build()
    });
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&summary, &gen, &get]);
    let put = put_evaluations_rule(PutLog::default());
    let config = mock_client!(aws_sdk_config, RuleMode::MatchAny, [&put]);
    let err = rules_with(iam, config, fast_wait(1_000))
        .handle(&fixture("config/periodic-ftr-arc-003.json"), Utc::now())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("AccessDenied"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(put.num_calls(), 0);
}

/// The alert path's AWS calls, counted: a new event costs a ledger claim, one finding import,
/// one publish and one ledger update; a duplicate costs the claim alone.
#[tokio::test]
async fn alert_path_makes_four_calls_and_a_duplicate_one() {
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_sdk_sns::operation::publish::PublishOutput;
    use ftr_shared::handlers::root_activity_alert::handle_root_activity;
    use ftr_shared::handlers::{AlertDelivery, Delivered};
    use ftr_shared::sinks::alerts::AlertSink;
    use ftr_shared::sinks::ledger::AlertLedger;

    let claim = mock!(aws_sdk_dynamodb::Client::put_item)
        .sequence()
        .output(|| PutItemOutput::builder().build())
        .error(|| {
            PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .meta(
                        ErrorMetadata::builder()
                            .code("ConditionalCheckFailedException")
                            .build(),
                    )
                    .build(),
            )
        })
        .build();
    let mark = mock!(aws_sdk_dynamodb::Client::update_item)
        .then_output(|| UpdateItemOutput::builder().build());
    let import = mock!(aws_sdk_securityhub::Client::batch_import_findings).then_output(|| {
        BatchImportFindingsOutput::builder()
            .failed_count(0)
            .success_count(1)
            .build()
    });
    let publish = mock!(aws_sdk_sns::Client::publish)
        .then_output(|| PublishOutput::builder().message_id("m-1").build());
    let delivery = AlertDelivery {
        securityhub: Some(SecurityHubSink::new(mock_client!(
            aws_sdk_securityhub,
            RuleMode::MatchAny,
            [&import]
        ))),
        alerts: Some(AlertSink::new(
            mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&publish]),
            "arn:aws:sns:us-east-1:111122223333:ftr-alerts",
        )),
        ledger: Some(AlertLedger::new(
            mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&claim, &mark]),
            "ledger",
            Duration::from_secs(120),
        )),
    };
    let event = fixture("events/root-console-sign-in-success-no-mfa.json");
    let (_, first) = handle_root_activity(&event, "us-east-1", &delivery, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first,
        Delivered::Sent {
            message_id: Some("m-1".into())
        }
    );
    assert_eq!(
        (
            claim.num_calls(),
            import.num_calls(),
            publish.num_calls(),
            mark.num_calls()
        ),
        (1, 1, 1, 1)
    );
    let (_, second) = handle_root_activity(&event, "us-east-1", &delivery, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second, Delivered::Duplicate);
    assert_eq!(
        (
            claim.num_calls(),
            import.num_calls(),
            publish.num_calls(),
            mark.num_calls()
        ),
        (2, 1, 1, 1),
        "a duplicate costs one conditional write and sends nothing"
    );
}

/// DESIGN §7 reliability: with every fifth AWS call failing (5xx or throttling) at the HTTP
/// layer, every evaluation and every finding still arrives, exactly once, through the SDK's
/// standard retries. (aws-smithy-mocks cannot compute responses for retried attempts, so this
/// test injects faults with a plain HTTP client function instead.)
#[tokio::test]
async fn with_a_fifth_of_calls_failing_everything_still_arrives_once() {
    use aws_smithy_http_client::test_util::infallible_client_fn;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers every fifth request with a failure (alternately 503 and throttling), the others
    /// with `ok(body)`, recording the ids found under `list`/`id_field` in successful requests.
    fn faulty_service(
        list: &'static str,
        id_field: &'static str,
        throttle: (u16, &'static str, &'static str),
        ok: fn(usize) -> String,
    ) -> (
        aws_smithy_runtime_api::client::http::SharedHttpClient,
        Arc<AtomicUsize>,
        Arc<Mutex<Vec<String>>>,
    ) {
        let calls = Arc::new(AtomicUsize::new(0));
        let received: Arc<Mutex<Vec<String>>> = Arc::default();
        let (c, r) = (calls.clone(), received.clone());
        let client = infallible_client_fn(move |req| {
            let n = c.fetch_add(1, Ordering::SeqCst);
            if n % 5 == 0 {
                let (status, header, body) = if (n / 5) % 2 == 0 {
                    (
                        503,
                        "ServiceUnavailable",
                        r#"{"message":"service unavailable"}"#,
                    )
                } else {
                    throttle
                };
                return http::Response::builder()
                    .status(status)
                    .header("x-amzn-errortype", header)
                    .body(body.to_string())
                    .unwrap();
            }
            let json: Value = serde_json::from_slice(req.body().bytes().unwrap_or(b"{}")).unwrap();
            let items = json[list].as_array().cloned().unwrap_or_default();
            r.lock().unwrap().extend(
                items
                    .iter()
                    .map(|i| i[id_field].as_str().unwrap_or("?").to_string()),
            );
            http::Response::builder()
                .status(200)
                .body(ok(items.len()))
                .unwrap()
        });
        (client, calls, received)
    }

    let (http_client, calls, received) = faulty_service(
        "Evaluations",
        "ComplianceResourceId",
        (
            400,
            "ThrottlingException",
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        ),
        |_| r#"{"FailedEvaluations":[]}"#.to_string(),
    );
    let config = aws_sdk_config::Client::from_conf(
        aws_sdk_config::Config::builder()
            .with_test_defaults_v2()
            .http_client(http_client)
            .retry_config(
                aws_sdk_config::config::retry::RetryConfig::standard()
                    .with_max_attempts(5)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build(),
    );
    let evaluations: Vec<Evaluation> = (0..1000)
        .map(|i| {
            Evaluation::new(
                control("IAM-007").unwrap(),
                Resource::new("AWS::IAM::User", format!("AIDAUSER{i:04}")),
                Compliance::Compliant,
                "ok",
                Utc::now(),
            )
        })
        .collect();
    ConfigSink::new(config)
        .put_evaluations(&ResultToken::Token("tok".into()), &evaluations)
        .await
        .unwrap();
    let mut got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1000, "no evaluation lost or posted twice");
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 1000);
    assert!(
        calls.load(Ordering::SeqCst) >= 12,
        "failures were injected and retried"
    );

    let (http_client, calls, received) = faulty_service(
        "Findings",
        "Id",
        (
            429,
            "TooManyRequestsException",
            r#"{"message":"Rate exceeded"}"#,
        ),
        |n| format!(r#"{{"FailedCount":0,"SuccessCount":{n},"FailedFindings":[]}}"#),
    );
    let hub = aws_sdk_securityhub::Client::from_conf(
        aws_sdk_securityhub::Config::builder()
            .with_test_defaults_v2()
            .http_client(http_client)
            .retry_config(
                aws_sdk_securityhub::config::retry::RetryConfig::standard()
                    .with_max_attempts(5)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build(),
    );
    let ctx = FindingContext::new("111122223333", "eu-west-1");
    let specs: Vec<_> = evals(1000)
        .iter()
        .map(|e| finding_for_evaluation(e, &ctx))
        .collect();
    let summary = SecurityHubSink::new(hub)
        .import(&ctx, &specs, Utc::now())
        .await
        .unwrap();
    assert_eq!(summary.imported, 1000);
    let mut ids = received.lock().unwrap().clone();
    assert_eq!(ids.len(), 1000);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1000);
    assert!(calls.load(Ordering::SeqCst) >= 12);
}
