//! The alert paths, pure: real (anonymised) EventBridge events in, planned findings and alerts out.
//! Handed cases 8, 9, 10 and 29.

use ftr_shared::catalogue::Severity;
use ftr_shared::evaluate::root_activity::RootActivityCategory;
use ftr_shared::handlers::compliance_alert::plan_compliance_alert;
use ftr_shared::handlers::root_activity_alert::{plan_root_activity, RootActivityPlan};
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/../fixtures/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn plan(name: &str) -> Option<RootActivityPlan> {
    plan_root_activity(&fixture(name), "us-east-1").unwrap()
}

// Case 8: records typed Root that AWS services write on the account's behalf.
#[test]
fn service_invoked_root_record_raises_no_alert() {
    assert!(plan("root-service-invoked.json").is_none());
}

#[test]
fn aws_service_event_typed_root_raises_no_alert() {
    assert!(plan("root-aws-service-event.json").is_none());
}

#[test]
fn root_creating_its_own_access_key_is_a_critical_arc_004_alert() {
    let p = plan("root-create-access-key.json").unwrap();
    assert_eq!(
        p.activity.category,
        RootActivityCategory::RootAccessKeyCreated
    );
    assert_eq!(p.activity.control.id, "ARC-004");
    assert_eq!(p.activity.severity, Severity::Critical);
    assert_eq!(
        p.alert.subject(),
        "[FTR ARC-004][CRITICAL] Root access key created in 111122223333/us-east-1"
    );
    let body = p.alert.body();
    assert!(body.contains("198.51.100.7"), "{body}");
    assert!(body.contains("AKIAEXAMPLEROOTKEY01"), "{body}");
    assert!(body.contains("aws-cli/2.22.0"), "{body}");
    assert_eq!(p.finding.control.id, "ARC-004");
    assert_eq!(
        p.alert.dedup_key,
        "root-activity#111122223333#00000000-0000-0000-0000-000000000002"
    );
}

#[test]
fn root_creating_a_key_for_an_iam_user_is_root_use_not_a_root_key() {
    let mut e = fixture("root-create-access-key.json");
    e["detail"]["requestParameters"] = json!({"userName": "bob"});
    let p = plan_root_activity(&e, "us-east-1").unwrap().unwrap();
    assert_eq!(p.activity.category, RootActivityCategory::ApiCall);
    assert_eq!(p.activity.control.id, "ARC-001");
    assert_eq!(p.activity.severity, Severity::High);
}

#[test]
fn human_root_api_call_is_a_high_arc_001_alert() {
    let p = plan("root-api-call.json").unwrap();
    assert_eq!(p.activity.category, RootActivityCategory::ApiCall);
    assert_eq!(p.activity.control.id, "ARC-001");
    assert_eq!(p.activity.severity, Severity::High);
    assert!(p.alert.what.contains("DeleteAccountPasswordPolicy"));
}

// Case 9: short-term root sessions from sts:AssumeRoot are their own category, never dropped.
#[test]
fn assumed_root_session_action_is_a_privileged_root_task_alert() {
    let p = plan("root-assumed-root-session.json").unwrap();
    assert_eq!(
        p.activity.category,
        RootActivityCategory::AssumedRootSession
    );
    assert_eq!(
        p.activity.severity,
        Severity::High,
        "product decision: HIGH"
    );
    assert!(p.alert.what.contains("DeleteBucketPolicy"));
    assert!(p.alert.what.contains("AssumeRoot"));
    assert_eq!(p.alert.region, "eu-west-1");
}

#[test]
fn assume_root_issuance_names_the_task_policy_and_issuing_account() {
    let p = plan("assume-root-issued.json").unwrap();
    assert_eq!(p.activity.category, RootActivityCategory::AssumeRootIssued);
    assert_eq!(
        p.activity.severity,
        Severity::Medium,
        "product decision: MEDIUM"
    );
    let body = p.alert.body();
    assert!(
        body.contains("arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"),
        "{body}"
    );
    assert!(body.contains("444455556666"), "{body}");
    assert!(body.contains("111122223333"), "{body}");
    assert!(body.contains("assumed-role/PlatformAdmin/alice"), "{body}");
}

// Case 10: root console sign-in, success without MFA vs failure.
#[test]
fn root_console_sign_in_without_mfa_is_critical() {
    let p = plan("root-console-sign-in-success-no-mfa.json").unwrap();
    assert_eq!(p.activity.category, RootActivityCategory::ConsoleSignIn);
    assert_eq!(p.activity.severity, Severity::Critical);
    assert_eq!(
        p.alert.subject(),
        "[FTR ARC-001][CRITICAL] Root console sign-in without MFA in 111122223333/us-east-1"
    );
}

#[test]
fn root_console_sign_in_with_mfa_is_high() {
    let mut e = fixture("root-console-sign-in-success-no-mfa.json");
    e["detail"]["additionalEventData"]["MFAUsed"] = json!("Yes");
    let p = plan_root_activity(&e, "us-east-1").unwrap().unwrap();
    assert_eq!(p.activity.severity, Severity::High);
}

#[test]
fn failed_root_sign_in_is_its_own_lower_severity_alert() {
    let p = plan("root-console-sign-in-failure.json").unwrap();
    assert_eq!(p.activity.category, RootActivityCategory::FailedSignIn);
    assert_eq!(p.activity.severity, Severity::Medium);
    assert!(p.alert.what.starts_with("Failed root sign-in attempt"));
    assert!(!p.alert.what.to_lowercase().contains("root used"));
    assert!(p.alert.body().contains("Failed authentication"));
}

#[test]
fn non_root_records_raise_nothing() {
    let mut e = fixture("root-api-call.json");
    e["detail"]["userIdentity"]["type"] = json!("IAMUser");
    assert!(plan_root_activity(&e, "us-east-1").unwrap().is_none());
}

#[test]
fn finding_of_root_activity_is_stable_per_event_and_failed() {
    let a = plan("root-api-call.json").unwrap();
    let b = plan("root-api-call.json").unwrap();
    assert_eq!(a.finding.id, b.finding.id);
    assert!(a
        .finding
        .id
        .contains("00000000-0000-0000-0000-000000000006"));
    assert!(a.finding.id.contains("ftr-arc-001"));
}

// Case 29, and the compliance-alert contract: alert only on the transition into NON_COMPLIANT.
#[test]
fn transition_to_non_compliant_alerts() {
    let a = plan_compliance_alert(&fixture("compliance-change-to-non-compliant.json"))
        .unwrap()
        .unwrap();
    assert_eq!(a.control.id, "ARC-003");
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(
        a.subject(),
        "[FTR ARC-003][CRITICAL] NON_COMPLIANT: account 111122223333 in 111122223333/eu-west-1"
    );
    assert!(a.body().contains("Root user has no MFA"));
    assert!(a.body().contains("Previous result: COMPLIANT"));
}

#[test]
fn first_result_non_compliant_alerts() {
    assert!(plan_compliance_alert(&fixture(
        "compliance-change-first-result-non-compliant.json"
    ))
    .unwrap()
    .is_some());
}

#[test]
fn staying_non_compliant_or_turning_compliant_is_silent() {
    for f in [
        "compliance-change-still-non-compliant.json",
        "compliance-change-to-compliant.json",
        "compliance-change-other-rule.json",
    ] {
        assert!(plan_compliance_alert(&fixture(f)).unwrap().is_none(), "{f}");
    }
}

#[test]
fn duplicate_deliveries_of_one_transition_share_a_dedup_key() {
    let a = fixture("compliance-change-to-non-compliant.json");
    let mut b = a.clone();
    b["id"] = json!("another-envelope-id");
    let ka = plan_compliance_alert(&a).unwrap().unwrap().dedup_key;
    let kb = plan_compliance_alert(&b).unwrap().unwrap().dedup_key;
    assert_eq!(ka, kb);
    let mut c = a.clone();
    c["detail"]["newEvaluationResult"]["resultRecordedTime"] = json!("2026-12-01T11:00:04.512Z");
    assert_ne!(ka, plan_compliance_alert(&c).unwrap().unwrap().dedup_key);
}

/// Case 29: 300 users, 40 non-compliant on every run for 24 runs; run 25 one turns compliant;
/// run 26 a new one turns non-compliant. Config emits a change event only when a result
/// changes, and we alert per transition: 40 alerts on the first run (product choice: one per
/// resource, so each can be routed and closed alone), none on runs 2-24 or 25, one on run 26.
#[test]
fn case_29_alerts_only_on_transitions() {
    let base = fixture("compliance-change-to-non-compliant.json");
    let event = |user: usize, old: Option<&str>, new: &str, run: usize| {
        let mut e = base.clone();
        let d = &mut e["detail"];
        d["configRuleName"] = json!("ftr-iam-007");
        d["newEvaluationResult"]["evaluationResultIdentifier"]["evaluationResultQualifier"]
            ["configRuleName"] = json!("ftr-iam-007");
        d["resourceType"] = json!("AWS::IAM::User");
        d["resourceId"] = json!(format!("AIDAUSER{user:04}"));
        d["newEvaluationResult"]["complianceType"] = json!(new);
        d["newEvaluationResult"]["resultRecordedTime"] = json!(format!(
            "2026-11-{:02}T{:02}:00:00Z",
            1 + run / 24,
            run % 24
        ));
        match old {
            Some(o) => d["oldEvaluationResult"]["complianceType"] = json!(o),
            None => {
                d.as_object_mut().unwrap().remove("oldEvaluationResult");
            }
        }
        e
    };
    let mut alerts_per_run = vec![0usize; 27];
    // Run 1: every user gets a first result; 40 of 300 are non-compliant.
    for u in 0..300 {
        let new = if u < 40 { "NON_COMPLIANT" } else { "COMPLIANT" };
        if plan_compliance_alert(&event(u, None, new, 1))
            .unwrap()
            .is_some()
        {
            alerts_per_run[1] += 1;
        }
    }
    // Runs 2-24: results unchanged; if Config re-sends a same-state change, still no alert.
    for (run, alerts) in alerts_per_run.iter_mut().enumerate().take(25).skip(2) {
        for u in 0..40 {
            if plan_compliance_alert(&event(u, Some("NON_COMPLIANT"), "NON_COMPLIANT", run))
                .unwrap()
                .is_some()
            {
                *alerts += 1;
            }
        }
    }
    // Run 25: user 0 fixed.
    if plan_compliance_alert(&event(0, Some("NON_COMPLIANT"), "COMPLIANT", 25))
        .unwrap()
        .is_some()
    {
        alerts_per_run[25] += 1;
    }
    // Run 26: user 100 breaks.
    if plan_compliance_alert(&event(100, Some("COMPLIANT"), "NON_COMPLIANT", 26))
        .unwrap()
        .is_some()
    {
        alerts_per_run[26] += 1;
    }
    assert_eq!(alerts_per_run[1], 40);
    assert!(alerts_per_run[2..=25].iter().all(|&n| n == 0));
    assert_eq!(alerts_per_run[26], 1);
}

/// Every fixture, with every field in turn replaced by values of the wrong type: the planners
/// return an answer or an error, never a panic.
#[test]
fn mutated_events_never_panic() {
    fn paths(v: &Value, prefix: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let p = format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1"));
                    out.push(p.clone());
                    paths(c, p, out);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    let p = format!("{prefix}/{i}");
                    out.push(p.clone());
                    paths(c, p, out);
                }
            }
            _ => {}
        }
    }
    let dir = format!("{}/../fixtures/events", env!("CARGO_MANIFEST_DIR"));
    let replacements = [
        json!(null),
        json!(7),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
        json!(true),
        json!("\u{0}\n🙂"),
    ];
    let mut runs = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        let mut all = Vec::new();
        paths(&original, String::new(), &mut all);
        for p in &all {
            for r in &replacements {
                let mut e = original.clone();
                *e.pointer_mut(p).unwrap() = r.clone();
                let _ = plan_root_activity(&e, "us-east-1");
                let _ = plan_compliance_alert(&e);
                runs += 1;
            }
        }
    }
    for junk in [
        json!(null),
        json!([]),
        json!("text"),
        json!({"detail": 1}),
        json!({}),
    ] {
        assert!(plan_root_activity(&junk, "us-east-1").is_err());
        assert!(plan_compliance_alert(&junk).is_err());
    }
    assert!(runs > 1000, "{runs}");
}

/// Records missing what a decision depends on are errors, never silently "no action".
#[test]
fn records_missing_key_fields_are_errors() {
    let base = fixture("root-api-call.json");
    for (pointer, value) in [
        ("/detail/userIdentity", Value::Null),
        ("/detail/userIdentity/type", Value::Null),
        ("/detail/eventName", json!("")),
        ("/detail/eventSource", json!("")),
        ("/detail-type", json!("Something Else")),
        ("/account", json!("")),
    ] {
        let mut e = base.clone();
        *e.pointer_mut(pointer).unwrap() = value;
        if pointer == "/account" {
            e["detail"]
                .as_object_mut()
                .unwrap()
                .remove("recipientAccountId");
            e["detail"]["userIdentity"]
                .as_object_mut()
                .unwrap()
                .remove("accountId");
        }
        assert!(plan_root_activity(&e, "us-east-1").is_err(), "{pointer}");
    }
    let mut c = fixture("compliance-change-to-non-compliant.json");
    c["detail"]
        .as_object_mut()
        .unwrap()
        .remove("newEvaluationResult");
    assert!(plan_compliance_alert(&c).is_err());
    let mut c = fixture("compliance-change-to-non-compliant.json");
    c["detail"]["configRuleName"] = json!("ftr-arc-004");
    assert!(plan_compliance_alert(&c)
        .unwrap_err()
        .to_string()
        .contains("ftr-arc-003"));
}

#[test]
fn an_invalid_event_time_falls_back_to_the_envelope_time() {
    let mut e = fixture("root-api-call.json");
    e["detail"]["eventTime"] = json!("yesterday");
    let p = plan_root_activity(&e, "us-east-1").unwrap().unwrap();
    assert_eq!(
        p.alert.occurred_at.unwrap().to_rfc3339(),
        "2026-11-30T09:15:31+00:00"
    );
}
