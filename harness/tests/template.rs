//! The SAM application: `cfn-lint` clean, and the structural checks of harness/check_template.py
//! (encryption, least privilege, Config rules, EventBridge patterns against real event fixtures).

use std::process::Command;

use ftr_harness::workspace_root;

fn venv(tool: &str) -> std::path::PathBuf {
    workspace_root().join(".venv/bin").join(tool)
}

#[test]
fn cfn_lint_passes_on_the_sam_template_and_infra_templates() {
    let root = workspace_root();
    let mut templates = vec![root.join("template.yaml")];
    for entry in std::fs::read_dir(root.join("infra")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "yaml") {
            templates.push(p);
        }
    }
    assert!(templates.len() >= 3);
    let out = Command::new(venv("cfn-lint"))
        .args(&templates)
        .output()
        .expect("run cfn-lint (scripts/bootstrap.sh installs it)");
    assert!(
        out.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn template_is_encrypted_least_privilege_and_its_patterns_catch_the_fixtures() {
    let out = Command::new(venv("python"))
        .arg(workspace_root().join("harness/check_template.py"))
        .output()
        .expect("run check_template.py");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("template checks: 0 failed"), "{text}");
}

#[test]
fn sam_validate_lint_passes() {
    let out = Command::new(venv("sam"))
        .args(["validate", "--lint", "--template"])
        .arg(workspace_root().join("template.yaml"))
        .current_dir(workspace_root())
        // Offline: no telemetry, no credential look-ups, any AWS call would go to a dead local port.
        .env("SAM_CLI_TELEMETRY", "0")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run sam (scripts/bootstrap.sh installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("is a valid SAM Template"), "{text}");
}
