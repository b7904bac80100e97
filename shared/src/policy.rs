//! IAM policy documents, as far as judging exposure needs: statements, principals in every
//! spelling, actions and `NotAction` with wildcards, and conditions (keys case-insensitive) that
//! pin access to fixed values. Used for S3 bucket and access point policies, and later for role
//! trust policies. Pure.

use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("policy document is not JSON: {0}")]
    NotJson(String),
    #[error("policy document has no Statement")]
    NoStatement,
    #[error("policy statement {index}: {message}")]
    BadStatement { index: usize, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// Who a statement names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// `"*"`, `{"AWS":"*"}`, `{"AWS":["*"]}` or an ARN pattern that matches anyone.
    pub anyone: bool,
    /// AWS principals (account ids, ARNs), services, federated and canonical ids, as written.
    pub named: Vec<String>,
}

/// One condition: operator, key, values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator without `IfExists` and set qualifiers, e.g. `StringEquals`.
    pub operator: String,
    pub if_exists: bool,
    /// `ForAnyValue` / `ForAllValues`, if any.
    pub set_qualifier: Option<String>,
    /// Lower-cased key (condition keys are case-insensitive).
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal`, or `None` when the statement uses `NotPrincipal` (or has neither).
    pub principal: Option<Principals>,
    /// `NotPrincipal`: everyone except these.
    pub not_principal: Option<Principals>,
    /// `Action` values, or `None` with `NotAction`.
    pub actions: Option<Vec<String>>,
    pub not_actions: Option<Vec<String>>,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    pub statements: Vec<Statement>,
}

/// Policy text as AWS returns it: plain JSON, or URL-encoded (IAM documents).
pub fn decode_policy_text(text: &str) -> String {
    let t = text.trim();
    if t.starts_with('{') {
        return t.to_string();
    }
    let bytes = t.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect(),
        Value::Number(n) => Some(vec![n.to_string()]),
        Value::Bool(b) => Some(vec![b.to_string()]),
        _ => None,
    }
}

/// Does an AWS principal value mean "anyone"? `*`, or an ARN made only of wildcards.
fn aws_principal_is_anyone(p: &str) -> bool {
    let p = p.trim();
    p == "*" || p == "arn:aws:iam::*:root" || p.chars().all(|c| c == '*' || c == '?')
}

fn parse_principals(v: &Value) -> Result<Principals, String> {
    match v {
        Value::String(s) if s.trim() == "*" => Ok(Principals {
            anyone: true,
            named: vec![],
        }),
        Value::String(s) => Err(format!("principal `{s}` is neither \"*\" nor an object")),
        Value::Object(m) => {
            let mut p = Principals::default();
            for (kind, vals) in m {
                let vals = strings(vals).ok_or_else(|| format!("principal {kind} is not text"))?;
                for v in vals {
                    if kind == "AWS" && aws_principal_is_anyone(&v) {
                        p.anyone = true;
                    } else {
                        p.named.push(v);
                    }
                }
            }
            Ok(p)
        }
        other => Err(format!("principal {other} is neither \"*\" nor an object")),
    }
}

fn parse_conditions(v: &Value) -> Result<Vec<Condition>, String> {
    let Value::Object(ops) = v else {
        return Err("Condition is not an object".into());
    };
    let mut out = Vec::new();
    for (op, block) in ops {
        let Value::Object(keys) = block else {
            return Err(format!("condition {op} is not an object"));
        };
        let (set_qualifier, rest) = match op.split_once(':') {
            Some((q, r)) => (Some(q.to_string()), r),
            None => (None, op.as_str()),
        };
        let (operator, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base.to_string(), true),
            None => (rest.to_string(), false),
        };
        for (key, vals) in keys {
            out.push(Condition {
                operator: operator.clone(),
                if_exists,
                set_qualifier: set_qualifier.clone(),
                key: key.to_ascii_lowercase(),
                values: strings(vals)
                    .ok_or_else(|| format!("condition {op} {key}: values are not text"))?,
            });
        }
    }
    Ok(out)
}

impl PolicyDocument {
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let decoded = decode_policy_text(text);
        let v: Value =
            serde_json::from_str(&decoded).map_err(|e| PolicyError::NotJson(e.to_string()))?;
        Self::from_value(&v)
    }

    pub fn from_value(v: &Value) -> Result<Self, PolicyError> {
        let raw = v.get("Statement").ok_or(PolicyError::NoStatement)?;
        let list: Vec<&Value> = match raw {
            Value::Array(a) => a.iter().collect(),
            Value::Object(_) => vec![raw],
            _ => return Err(PolicyError::NoStatement),
        };
        let mut statements = Vec::with_capacity(list.len());
        for (index, s) in list.into_iter().enumerate() {
            let bad = |message: String| PolicyError::BadStatement { index, message };
            let effect = match s.get("Effect").and_then(Value::as_str) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                other => return Err(bad(format!("Effect is {other:?}"))),
            };
            let principal = s
                .get("Principal")
                .map(parse_principals)
                .transpose()
                .map_err(bad)?;
            let not_principal = s
                .get("NotPrincipal")
                .map(parse_principals)
                .transpose()
                .map_err(bad)?;
            let actions = s
                .get("Action")
                .map(|a| strings(a).ok_or_else(|| bad("Action is not text".into())))
                .transpose()?;
            let not_actions = s
                .get("NotAction")
                .map(|a| strings(a).ok_or_else(|| bad("NotAction is not text".into())))
                .transpose()?;
            if actions.is_none() && not_actions.is_none() {
                return Err(bad("no Action or NotAction".into()));
            }
            let conditions = match s.get("Condition") {
                None | Some(Value::Null) => vec![],
                Some(c) => parse_conditions(c).map_err(bad)?,
            };
            statements.push(Statement {
                sid: s.get("Sid").and_then(Value::as_str).map(str::to_string),
                effect,
                principal,
                not_principal,
                actions,
                not_actions,
                conditions,
            });
        }
        Ok(PolicyDocument { statements })
    }
}

/// IAM-style wildcard match (`*`, `?`), case-insensitive (actions are).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

impl Statement {
    /// Does the statement cover `action` (e.g. `s3:GetObject`)?
    pub fn covers_action(&self, action: &str) -> bool {
        match (&self.actions, &self.not_actions) {
            (Some(a), _) => a.iter().any(|p| wildcard_match(p, action)),
            (None, Some(n)) => !n.iter().any(|p| wildcard_match(p, action)),
            (None, None) => false,
        }
    }

    /// Does the statement name anyone at all (wildcard principal, or `NotPrincipal`)?
    pub fn names_anyone(&self) -> bool {
        self.principal.as_ref().is_some_and(|p| p.anyone) || self.not_principal.is_some()
    }
}

/// Condition keys whose fixed value pins a request to a known party or network (the S3
/// definition of "public").
const PINNING_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
];

/// Operators that, with fixed values, restrict the request to those values.
fn restricting_operator(op: &str) -> bool {
    matches!(
        op,
        "StringEquals" | "StringEqualsIgnoreCase" | "StringLike" | "ArnEquals" | "ArnLike"
    )
}

fn has_wildcard_or_variable(v: &str) -> bool {
    v.contains('*') || v.contains('?') || v.contains("${")
}

/// A CIDR narrower than "the internet": IPv4 /8 or longer, IPv6 /32 or longer. Wider ranges
/// (`0.0.0.0/0`, `0.0.0.0/1`, `::/0`) count as public.
pub fn cidr_is_bounded(v: &str) -> bool {
    let (addr, len) = match v.split_once('/') {
        Some((a, l)) => (a, l.parse::<u8>().ok()),
        None => (v, None),
    };
    if addr.parse::<std::net::Ipv4Addr>().is_ok() {
        return (8..=32).contains(&len.unwrap_or(32));
    }
    if addr.parse::<std::net::Ipv6Addr>().is_ok() {
        return (32..=128).contains(&len.unwrap_or(128));
    }
    false
}

/// Why a condition pins an anyone-statement to non-public callers, if it does.
pub fn pinning_condition(c: &Condition) -> Option<String> {
    // `...IfExists` passes when the key is absent: it pins nothing.
    if c.if_exists {
        return None;
    }
    if c.values.is_empty() {
        return None;
    }
    if c.key == "aws:sourceip" {
        return (c.operator == "IpAddress" && c.values.iter().all(|v| cidr_is_bounded(v)))
            .then(|| format!("aws:SourceIp limited to {}", c.values.join(", ")));
    }
    if !PINNING_KEYS.contains(&c.key.as_str()) || !restricting_operator(&c.operator) {
        return None;
    }
    // Like-operators with wildcards, and policy variables, do not fix a value.
    if c.values.iter().any(|v| has_wildcard_or_variable(v)) {
        return None;
    }
    Some(format!("{} {} {}", c.operator, c.key, c.values.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_documents_decode() {
        let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        let d = PolicyDocument::parse(enc).unwrap();
        assert_eq!(
            d.statements[0].principal.as_ref().unwrap().named,
            vec!["lambda.amazonaws.com"]
        );
        assert!(d.statements[0].covers_action("sts:AssumeRole"));
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("S3:get*", "s3:GetObject"));
        assert!(wildcard_match("*", "s3:PutObject"));
        assert!(wildcard_match("s3:*Object", "s3:DeleteObject"));
        assert!(wildcard_match("s3:?etObject", "s3:GetObject"));
        assert!(!wildcard_match("s3:Get*", "s3:PutObject"));
        assert!(!wildcard_match("s3:List", "s3:ListBucket"));
    }

    #[test]
    fn cidrs_wider_than_a_slash_8_are_public() {
        assert!(cidr_is_bounded("10.0.0.0/8"));
        assert!(cidr_is_bounded("203.0.113.7/32"));
        assert!(cidr_is_bounded("203.0.113.7"));
        assert!(!cidr_is_bounded("0.0.0.0/0"));
        assert!(!cidr_is_bounded("0.0.0.0/1"));
        assert!(!cidr_is_bounded("::/0"));
        assert!(cidr_is_bounded("2001:db8::/48"));
        assert!(!cidr_is_bounded("not-an-ip"));
    }

    #[test]
    fn malformed_statements_are_errors() {
        for bad in [
            r#"{"Statement":[{"Effect":"Maybe","Action":"s3:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":5,"Principal":{"AWS":{}}}]}"#,
            r#"{"Statement":"x"}"#,
            r#"{"Version":"2012-10-17"}"#,
            r#"not json"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Principal":"me"}]}"#,
        ] {
            assert!(PolicyDocument::parse(bad).is_err(), "{bad}");
        }
    }
}
