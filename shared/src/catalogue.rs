//! The FTR control catalogue: every control of the Partner Hosted checklist v3.0, in checklist order.
//!
//! One kebab-case id per control (`ftr-arc-003`) is shared by the AWS Config rule name, the
//! Security Hub `GeneratorId` and the code. Remediation texts are our own words.

use std::fmt;

/// How a control is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Judged from account state alone.
    Automated,
    /// Judged from account state plus an attestation for the part no API can see.
    Partial,
    /// Judged from a signed-off attestation record only.
    Attestation,
}

/// Severity, with the ASFF label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The ASFF `Severity.Label` value.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One FTR control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    /// Checklist id, e.g. `ARC-003`.
    pub id: &'static str,
    /// Checklist section heading.
    pub section: &'static str,
    /// Checklist requirement, shortened.
    pub title: &'static str,
    pub mode: Mode,
    pub severity: Severity,
    /// How to fix it, in our words (kept under Security Hub's 512-character limit).
    pub remediation: &'static str,
    /// Where to read more.
    pub link: &'static str,
}

impl Control {
    /// The kebab-case id: `ftr-arc-003`. Config rule name and finding generator id.
    pub fn rule_name(&self) -> String {
        format!("ftr-{}", self.id.to_ascii_lowercase())
    }
}

const ROOT_DOC: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html";
const IAM_BP: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html";
const TRAIL_DOC: &str =
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-user-guide.html";
const S3_BPA_DOC: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html";
const BACKUP_DOC: &str = "https://docs.aws.amazon.com/aws-backup/latest/devguide/whatisbackup.html";
const DR_DOC: &str = "https://docs.aws.amazon.com/whitepapers/latest/disaster-recovery-workloads-on-aws/disaster-recovery-workloads-on-aws.html";
const XACCT_DOC: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html";
const FTR_LENS: &str = "https://docs.aws.amazon.com/wellarchitected/latest/foundational-technical-review-lens/foundational-technical-review-lens.html";

macro_rules! control {
    ($id:literal, $section:literal, $mode:ident, $sev:ident, $title:literal, $fix:literal, $link:expr) => {
        Control {
            id: $id,
            section: $section,
            title: $title,
            mode: Mode::$mode,
            severity: Severity::$sev,
            remediation: $fix,
            link: $link,
        }
    };
}

/// All 46 controls, in the order of the checklist.
pub static CONTROLS: [Control; 46] = [
    control!("SUP-001", "Support Level", Automated, Medium,
        "Enable AWS Business Support (or greater) on all production accounts",
        "Subscribe every production account to Business, Enterprise On-Ramp or Enterprise Support in the AWS Support Center.",
        "https://aws.amazon.com/premiumsupport/plans/"),
    control!("WAFR-001", "AWS Well-Architected Review", Partial, Medium,
        "Review the production workload with the FTR lens at least once a year",
        "Define the production workload in the Well-Architected Tool, apply the FTR lens, answer it and save a milestone; repeat within 12 months.",
        FTR_LENS),
    control!("ARC-001", "AWS Root Account", Automated, High,
        "Use the root user only by exception",
        "Stop using the root user for daily work: use IAM Identity Center or IAM roles, lock the root credentials away, and investigate every root sign-in or API call you did not plan.",
        ROOT_DOC),
    control!("ARC-003", "AWS Root Account", Automated, Critical,
        "Enable MFA on the root user",
        "Sign in as root and assign an MFA device (a FIDO security key or hardware TOTP preferred), or remove root credentials with centralized root access in AWS Organizations.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html"),
    control!("ARC-004", "AWS Root Account", Automated, Critical,
        "Remove access keys for the root user",
        "Move every process using a root access key to an IAM role, then deactivate and delete the root access keys under Security credentials.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html"),
    control!("ARC-005", "AWS Root Account", Attestation, Medium,
        "Keep an incident response runbook for root credential misuse",
        "Write a runbook for suspected root credential misuse (who acts, how to rotate the password, remove keys, review CloudTrail, contact AWS) and record it with `ftr attest ARC-005`.",
        ROOT_DOC),
    control!("AWA-001", "AWS accounts", Partial, Medium,
        "Use separate accounts for production and non-production",
        "Run production and non-production in separate accounts of one AWS Organization and tag each account with its environment.",
        "https://docs.aws.amazon.com/whitepapers/latest/organizing-your-aws-environment/organizing-your-aws-environment.html"),
    control!("ACOM-001", "Communications from AWS", Automated, Low,
        "Configure the billing, operations and security alternate contacts",
        "Set the Billing, Operations and Security alternate contacts to team distribution lists in Account settings.",
        "https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-update-contact-alternate.html"),
    control!("ACOM-002", "Communications from AWS", Partial, Low,
        "Use company-owned e-mail addresses and phone numbers for account contacts",
        "Point the root e-mail, contact information and alternate contacts at addresses on your company domains and at company phone numbers.",
        "https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-update-contact-primary.html"),
    control!("CTL-001", "CloudTrail", Automated, High,
        "Log management events with CloudTrail in every account and region",
        "Create a multi-region (or organization) trail that logs read and write management events and keep it logging.",
        TRAIL_DOC),
    control!("CTL-002", "CloudTrail", Automated, High,
        "Store CloudTrail logs in a separate administrative domain",
        "Deliver the trail to an S3 bucket owned by a dedicated log-archive account with limited access.",
        TRAIL_DOC),
    control!("CTL-003", "CloudTrail", Automated, Medium,
        "Protect log storage from unintended changes",
        "Enable versioning with MFA delete, or S3 Object Lock, on the trail's log bucket.",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html"),
    control!("CTL-004", "CloudTrail", Automated, Medium,
        "Enable CloudTrail log file integrity validation",
        "Turn on log file validation for every trail that covers the account.",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html"),
    control!("IAM-001", "Identity and Access Management", Partial, High,
        "Require MFA for every human identity",
        "Assign an MFA device to each IAM user with a console password, and enforce MFA in your identity provider.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html"),
    control!("IAM-002", "Identity and Access Management", Automated, Medium,
        "Rotate long-term credentials regularly",
        "Rotate active IAM access keys older than the allowed age: create a new key, switch the consumer, deactivate then delete the old key.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"),
    control!("IAM-003", "Identity and Access Management", Automated, Medium,
        "Enforce a strong password policy",
        "Set an account password policy with at least the required length, all four character classes and reuse prevention of 24.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html"),
    control!("IAM-004", "Identity and Access Management", Partial, Medium,
        "Give everyone an individual identity; no shared credentials",
        "Replace shared IAM users with one identity per person, preferably through IAM Identity Center.",
        IAM_BP),
    control!("IAM-005", "Identity and Access Management", Partial, High,
        "Give third parties access through roles, not IAM users",
        "Give external parties a cross-account role that requires an external id instead of IAM user credentials.",
        XACCT_DOC),
    control!("IAM-006", "Identity and Access Management", Partial, High,
        "Grant least privilege",
        "Replace full-admin and wildcard policies with scoped ones, attach policies to groups or roles rather than users.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"),
    control!("IAM-007", "Identity and Access Management", Automated, Medium,
        "Manage access based on life cycle",
        "Disable or delete passwords and access keys unused for longer than the allowed period, and remove users who left.",
        IAM_BP),
    control!("IAM-008", "Identity and Access Management", Partial, Medium,
        "Audit identities quarterly",
        "Review users, roles and their last use every quarter, remove what is not needed, and record the review with `ftr attest IAM-008`.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html"),
    control!("IAM-009", "Identity and Access Management", Partial, High,
        "Do not embed credentials in application code",
        "Remove credentials from code and function configuration; use roles or fetch secrets at run time from Secrets Manager.",
        IAM_BP),
    control!("IAM-010", "Identity and Access Management", Partial, Medium,
        "Store secrets in a specialised service",
        "Keep secrets in Secrets Manager with rotation, or in SSM Parameter Store as SecureString.",
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/intro.html"),
    control!("IAM-011", "Identity and Access Management", Attestation, High,
        "Encrypt end-user credentials and hash passwords at rest",
        "Hash end-user passwords with a slow salted hash, encrypt stored credentials, or use Amazon Cognito; record it with `ftr attest IAM-011`.",
        "https://docs.aws.amazon.com/cognito/latest/developerguide/what-is-amazon-cognito.html"),
    control!("BAR-001", "Backups and Recovery", Automated, High,
        "Back up data automatically",
        "Protect RDS, DynamoDB, EBS, EFS and S3 data with AWS Backup plans or the service's own automatic backups.",
        BACKUP_DOC),
    control!("BAR-002", "Backups and Recovery", Partial, Medium,
        "Test recovery of backups periodically",
        "Run a restore test (or an AWS Backup restore testing plan) at least every quarter and after major changes.",
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html"),
    control!("DR-001", "Disaster Recovery", Attestation, Medium,
        "Define a recovery point objective",
        "Agree the RPO for the workload and record it with `ftr attest DR-001 --value rpo_hours=N`.",
        DR_DOC),
    control!("DR-002", "Disaster Recovery", Attestation, Medium,
        "Define a recovery time objective of at most 24 hours",
        "Agree an RTO of 24 hours or less and record it with `ftr attest DR-002 --value rto_hours=N`.",
        DR_DOC),
    control!("DR-004", "Disaster Recovery", Partial, Medium,
        "Test the disaster recovery implementation",
        "Run a DR test covering data loss, instance and AZ failure (for example with AWS FIS or Resilience Hub) and record the result.",
        "https://docs.aws.amazon.com/fis/latest/userguide/what-is.html"),
    control!("S3-001", "Amazon S3 Bucket Access", Automated, High,
        "Review every bucket's access level",
        "Review each public bucket; if it must stay public tag it ftr:exempt=S3-001 with ftr:exempt-reason and ftr:exempt-until, otherwise remove the public access.",
        S3_BPA_DOC),
    control!("S3-002", "Amazon S3 Bucket Access", Automated, High,
        "Block public access to buckets that should not be public",
        "Turn on all four Block Public Access settings at account level, or on every bucket not reviewed as public.",
        S3_BPA_DOC),
    control!("S3-003", "Amazon S3 Bucket Access", Automated, High,
        "Alert when a bucket becomes public",
        "Keep the ftr-monitor S3 exposure alert rule enabled and confirm at least one subscription to its alert topic.",
        S3_BPA_DOC),
    control!("CAA-001", "Cross-Account Access", Partial, High,
        "Use cross-account roles to access customer accounts",
        "Access customer accounts only by assuming roles they created for you; never store their IAM user keys.",
        XACCT_DOC),
    control!("CAA-007", "Cross-Account Access", Attestation, Medium,
        "Provide a least-privilege template for the customer's cross-account role",
        "Publish a CloudFormation template (see infra/) that creates the customer role with minimal permissions and record its link with `ftr attest CAA-007`.",
        XACCT_DOC),
    control!("CAA-002", "Cross-Account Access", Partial, High,
        "Use an external id with cross-account roles",
        "Pass an external id on every AssumeRole into a customer account and require sts:ExternalId in their trust policy.",
        XACCT_DOC),
    control!("CAA-004", "Cross-Account Access", Attestation, High,
        "Generate the external id yourself",
        "Generate each customer's external id (for example a UUID) on your side; never accept one from the customer. Record it with `ftr attest CAA-004`.",
        XACCT_DOC),
    control!("CAA-005", "Cross-Account Access", Attestation, High,
        "Keep every external id unique",
        "Ensure no two customers share an external id; record the mechanism with `ftr attest CAA-005`.",
        XACCT_DOC),
    control!("CAA-006", "Cross-Account Access", Attestation, High,
        "Show the external id to customers read-only",
        "Make the external id a read-only field in your product; record it with `ftr attest CAA-006`.",
        XACCT_DOC),
    control!("CAA-003", "Cross-Account Access", Partial, High,
        "Deprecate customer-provided IAM credentials",
        "Stop accepting customer access keys for new customers, migrate existing ones to roles and mark the old method deprecated.",
        XACCT_DOC),
    control!("SDAT-001", "Sensitive Data", Partial, Medium,
        "Identify sensitive data",
        "Enable Amazon Macie automated discovery and record your data classification with `ftr attest SDAT-001`.",
        "https://docs.aws.amazon.com/macie/latest/user/what-is-macie.html"),
    control!("SDAT-002", "Sensitive Data", Automated, High,
        "Encrypt sensitive data at rest",
        "Enable encryption at rest: EBS default encryption, encrypted RDS, S3, SNS, SQS, EFS and DynamoDB resources.",
        "https://docs.aws.amazon.com/whitepapers/latest/logical-separation/encrypting-data-at-rest-and--in-transit.html"),
    control!("SDAT-003", "Sensitive Data", Automated, High,
        "Use only encrypted protocols for sensitive data in transit",
        "Deny non-TLS requests in bucket policies (aws:SecureTransport) and use HTTPS/TLS listeners on load balancers.",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"),
    control!("SDAT-004", "Sensitive Data", Partial, Medium,
        "Log access to sensitive data",
        "Enable CloudTrail S3 data events or server access logging for buckets holding sensitive data, and log access in the application.",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/logging-with-S3.html"),
    control!("BAABP-001", "Protected Health Information", Partial, High,
        "Have a Business Associate Addendum with AWS for every account with PHI",
        "Accept the AWS BAA in AWS Artifact for every account that handles PHI and record it with `ftr attest BAABP-001`.",
        "https://docs.aws.amazon.com/artifact/latest/ug/managing-agreements.html"),
    control!("BAABP-004", "Protected Health Information", Partial, High,
        "Use only HIPAA-eligible services for PHI",
        "Move PHI workloads off services that are not on the HIPAA Eligible Services Reference.",
        "https://aws.amazon.com/compliance/hipaa-eligible-services-reference/"),
    control!("RCVP-001", "Regulatory Compliance Validation Process", Attestation, Medium,
        "Have a process that keeps advertised compliance standards met",
        "Document how you keep each advertised standard (PCI DSS, HIPAA, ...) met and record it with `ftr attest RCVP-001`.",
        "https://aws.amazon.com/compliance/programs/"),
];

/// Look a control up by its checklist id (`ARC-003`, case-insensitive) or kebab id (`ftr-arc-003`).
pub fn control(id: &str) -> Option<&'static Control> {
    let id = id.trim();
    let bare = id
        .strip_prefix("ftr-")
        .or_else(|| id.strip_prefix("FTR-"))
        .unwrap_or(id);
    CONTROLS.iter().find(|c| c.id.eq_ignore_ascii_case(bare))
}

/// The control a Config rule belongs to, from its name: `ftr-arc-003` in the account itself,
/// `OrgConfigRule-ftr-arc-003-a1b2c3d4` when deployed as an organization rule.
pub fn control_for_rule_name(rule_name: &str) -> Option<&'static Control> {
    // Config rule names are case-sensitive; ours are exactly `ftr-<id>`, and organization rules
    // are `OrgConfigRule-ftr-<id>-<suffix>` (the suffix only there).
    if let Some(c) = CONTROLS.iter().find(|c| c.rule_name() == rule_name) {
        return Some(c);
    }
    let rest = rule_name.strip_prefix("OrgConfigRule-")?;
    CONTROLS.iter().find(|c| {
        rest.strip_prefix(c.rule_name().as_str())
            .and_then(|tail| tail.strip_prefix('-'))
            .is_some_and(|suffix| {
                !suffix.is_empty() && suffix.chars().all(|ch| ch.is_ascii_alphanumeric())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checklist itself (copied from the handbook's seed), parsed here, not retyped.
    const CHECKLIST: &str = include_str!("../tests/data/ftr-partner-hosted-checklist.txt");

    fn checklist_ids() -> Vec<&'static str> {
        CHECKLIST
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix('\u{2022}'))
            .filter_map(|l| l.trim_start().split(" - ").next())
            .filter(|id| {
                id.split_once('-').is_some_and(|(a, b)| {
                    !a.is_empty()
                        && a.chars().all(|c| c.is_ascii_alphanumeric())
                        && b.len() == 3
                        && b.chars().all(|c| c.is_ascii_digit())
                })
            })
            .collect()
    }

    #[test]
    fn catalogue_has_all_46_controls_once_each_in_checklist_order() {
        let expected = checklist_ids();
        let ours: Vec<&str> = CONTROLS.iter().map(|c| c.id).collect();
        assert_eq!(expected.len(), 46);
        assert_eq!(ours, expected);
        let mut unique = ours.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 46);
    }

    #[test]
    fn every_control_has_text_within_security_hub_limits() {
        for c in &CONTROLS {
            assert!(!c.title.is_empty() && c.title.len() <= 256, "{}", c.id);
            assert!(
                !c.remediation.is_empty() && c.remediation.len() <= 512,
                "{}",
                c.id
            );
            assert!(c.link.starts_with("https://"), "{}", c.id);
            assert!(c.rule_name().len() <= 128);
        }
    }

    #[test]
    fn rule_names_are_kebab_case_ids() {
        assert_eq!(control("ARC-003").unwrap().rule_name(), "ftr-arc-003");
        assert_eq!(control("ftr-arc-003").unwrap().id, "ARC-003");
        assert_eq!(control("arc-004").unwrap().id, "ARC-004");
        assert!(control("ARC-002").is_none());
    }

    #[test]
    fn organization_rule_names_map_to_their_control() {
        assert_eq!(
            control_for_rule_name("OrgConfigRule-ftr-arc-003-a1b2c3d4")
                .unwrap()
                .id,
            "ARC-003"
        );
        assert_eq!(control_for_rule_name("ftr-s3-001").unwrap().id, "S3-001");
        assert!(control_for_rule_name("s3-bucket-public-read-prohibited").is_none());
        assert!(control_for_rule_name("ftr-arc-0031").is_none());
        assert!(control_for_rule_name("ftr-arc-003-extra").is_none());
        assert!(control_for_rule_name("FTR-ARC-003").is_none());
        assert!(control_for_rule_name("OrgConfigRule-ftr-arc-003-").is_none());
        assert!(control_for_rule_name("my-ftr-arc-003").is_none());
    }
}
