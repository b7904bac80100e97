"""Structural checks of template.yaml that cfn-lint does not make, run by harness/tests/template.rs:
least privilege and encryption of the monitor itself, the Config rules, and that the EventBridge
patterns catch (and only catch) the anonymised real events in fixtures/events.

Usage: python harness/check_template.py [template.yaml]
"""

import fnmatch
import json
import pathlib
import re
import sys

from cfnlint.decode import decode

ROOT = pathlib.Path(__file__).resolve().parent.parent
FAILURES = []


def check(ok, message):
    if not ok:
        FAILURES.append(message)


def matches(pattern, event):
    """EventBridge content filtering, for the operators the template uses."""
    for key, want in pattern.items():
        present = isinstance(event, dict) and key in event
        value = event.get(key) if isinstance(event, dict) else None
        if isinstance(want, dict):
            if not present or not matches(want, value):
                return False
            continue
        values = value if isinstance(value, list) else [value]
        if not any(rule_matches(rule, present, v) for rule in want for v in values):
            return False
    return True


def rule_matches(rule, present, value):
    if not isinstance(rule, dict):
        return present and value == rule
    (op, arg), = rule.items()
    if op == "exists":
        return present == arg
    if op == "prefix":
        return present and isinstance(value, str) and value.startswith(arg)
    if op == "wildcard":
        return present and isinstance(value, str) and fnmatch.fnmatchcase(value, arg)
    if op == "anything-but":
        # Like every value matcher but `exists: false`, it needs the field to be present.
        banned = arg if isinstance(arg, list) else [arg]
        return present and value not in banned
    raise ValueError(f"operator {op} not supported by this checker")


def fixture(name):
    return json.loads((ROOT / "fixtures" / "events" / name).read_text())


def main():
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "template.yaml"
    template, errors = decode(str(path))
    if errors:
        print(errors)
        return 1
    resources = template["Resources"]
    glob = template.get("Globals", {}).get("Function", {})
    check(glob.get("Runtime") == "provided.al2023", "Globals: Runtime provided.al2023")
    check(glob.get("Architectures") == ["arm64"], "Globals: arm64")
    check(glob.get("LoggingConfig", {}).get("LogFormat") == "JSON", "Globals: JSON logs")

    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}
    crates = {p.name for p in (ROOT / "functions").iterdir() if (p / "Cargo.toml").exists()}
    binaries = set()
    for name, fn in functions.items():
        meta = fn.get("Metadata", {})
        check(meta.get("BuildMethod") == "rust-cargolambda", f"{name}: BuildMethod rust-cargolambda")
        binary = meta.get("BuildProperties", {}).get("Binary")
        binaries.add(binary)
        check(binary in crates, f"{name}: binary {binary} is a crate under functions/")
        props = fn["Properties"]
        on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure", {})
        check(on_failure.get("Type") == "SQS", f"{name}: on-failure destination for async invocations")
        env = props.get("Environment", {}).get("Variables", {})
        for k, v in env.items():
            check(k.startswith("FTR_"), f"{name}: environment variable {k} has the FTR_ prefix")
            text = json.dumps(v)
            check(not re.search(r"AKIA|ASIA|SECRET|PASSWORD", text + k, re.I), f"{name}: {k} looks like a credential")
        statements = [s for p in props.get("Policies", []) for s in p.get("Statement", [])]
        check(statements, f"{name}: has its own inline least-privilege policy")
        for s in statements:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            for a in actions:
                check(a != "*" and not a.endswith(":*"), f"{name}: wildcard action {a}")
            if s.get("Resource") == "*":
                check(all(a.split(":")[1].startswith(("Get", "List", "Describe", "Generate", "PutEvaluations")) for a in actions),
                      f"{name}: Resource * only for read calls and PutEvaluations, not {actions}")
    check(binaries == crates, f"every function crate is deployed: {sorted(crates - binaries)}")

    by_type = lambda t: [v for v in resources.values() if v["Type"] == t]
    for topic in by_type("AWS::SNS::Topic"):
        check("KmsMasterKeyId" in topic["Properties"], "SNS topic encrypted with KMS")
    for queue in by_type("AWS::SQS::Queue"):
        check("KmsMasterKeyId" in queue["Properties"], "SQS queue encrypted with KMS")
    for table in by_type("AWS::DynamoDB::Table"):
        check(table["Properties"].get("SSESpecification", {}).get("SSEEnabled") is True, "ledger table encrypted")
    check(any(s["Properties"]["Protocol"] == "email" for s in by_type("AWS::SNS::Subscription")), "e-mail subscription")

    rules = {r["Properties"]["ConfigRuleName"]: r["Properties"] for r in by_type("AWS::Config::ConfigRule")}
    for rule in ["ftr-arc-001", "ftr-arc-003", "ftr-arc-004", "ftr-s3-001", "ftr-s3-002", "ftr-s3-003",
                 "ftr-sdat-002", "ftr-sdat-003", "ftr-sdat-004"]:
        check(rule in rules, f"Config rule {rule}")
        if rule in rules:
            check(rules[rule]["InputParameters"]["ControlId"].lower() == rule[4:], f"{rule}: ControlId parameter")
            kinds = {d["MessageType"] for d in rules[rule]["Source"]["SourceDetails"]}
            check("ScheduledNotification" in kinds, f"{rule}: periodic")
    check("RootUseWindowDays" in rules.get("ftr-arc-001", {}).get("InputParameters", {}), "ARC-001 window parameter")
    for name, rule in rules.items():
        kinds = {d["MessageType"] for d in rule["Source"]["SourceDetails"]}
        if "ConfigurationItemChangeNotification" in kinds:
            # Case 22: large items arrive as a summary; a change-triggered rule must receive both.
            check("OversizedConfigurationItemChangeNotification" in kinds, f"{name}: oversized items")

    patterns = {
        (fn_name, ev_name): ev["Properties"]["Pattern"]
        for fn_name, fn in functions.items()
        for ev_name, ev in fn["Properties"].get("Events", {}).items()
        if ev["Type"] == "EventBridgeRule"
    }
    for (fn_name, ev_name), _ in patterns.items():
        ev = functions[fn_name]["Properties"]["Events"][ev_name]["Properties"]
        check("DeadLetterConfig" in ev, f"{fn_name}/{ev_name}: EventBridge dead-letter queue")
    root = patterns[("RootActivityAlertFunction", "RootActivity")]
    issued = patterns[("RootActivityAlertFunction", "RootSessionIssued")]
    compliance = patterns[("ComplianceAlertFunction", "ComplianceChange")]
    exposure = patterns[("S3ExposureAlertFunction", "BucketExposureChange")]
    expectations = [
        (root, "root-console-sign-in-success-no-mfa.json", True),
        (root, "root-console-sign-in-failure.json", True),
        (root, "root-api-call.json", True),
        (root, "root-create-access-key.json", True),
        (root, "root-assumed-root-session.json", True),
        (root, "root-service-invoked.json", False),
        (root, "root-aws-service-event.json", False),
        (root, "assume-root-issued.json", False),
        (issued, "assume-root-issued.json", True),
        (issued, "root-api-call.json", False),
        (compliance, "compliance-change-to-non-compliant.json", True),
        (compliance, "compliance-change-first-result-non-compliant.json", True),
        (compliance, "compliance-change-to-compliant.json", False),
        (compliance, "compliance-change-other-rule.json", False),
        (exposure, "s3-put-bucket-policy-public.json", True),
        (exposure, "s3-delete-bucket-policy.json", True),
        (exposure, "root-assumed-root-session.json", True),
        (exposure, "root-api-call.json", False),
        (exposure, "s3-delete-account-public-access-block.json", True),
        (exposure, "s3-put-access-point-policy-public.json", True),
    ]
    for pattern, name, expected in expectations:
        check(matches(pattern, fixture(name)) == expected, f"pattern vs {name}: expected match={expected}")
    org = fixture("compliance-change-to-non-compliant.json")
    org["detail"]["configRuleName"] = "OrgConfigRule-ftr-arc-003-a1b2c3d4"
    check(matches(compliance, org), "organization rule names match the compliance pattern")

    # Case 10: root sign-in reaches us-east-1 only; the forwarder must be pinned there and forward it.
    forwarder, errors = decode(str(ROOT / "infra" / "root-activity-forwarder.yaml"))
    check(not errors, f"forwarder template decodes: {errors}")
    if not errors:
        assertions = json.dumps(forwarder.get("Rules", {}))
        check("us-east-1" in assertions, "forwarder is pinned to us-east-1")
        forward = [r["Properties"]["EventPattern"] for r in forwarder["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
        for name in ["root-console-sign-in-success-no-mfa.json", "root-console-sign-in-failure.json",
                     "root-create-access-key.json", "assume-root-issued.json"]:
            check(any(matches(p, fixture(name)) for p in forward), f"forwarder forwards {name}")

    for f in FAILURES:
        print(f"FAIL {f}")
    print(f"template checks: {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
