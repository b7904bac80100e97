//! Which buckets CloudTrail S3 data events cover, from the trails' event selectors (basic or
//! advanced). Pure: selectors in, coverage out.

/// Coverage of S3 object-level (data) events by logging trails.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataEventCoverage {
    /// Some logging trail records data events for every bucket.
    pub all_buckets: bool,
    /// Bucket ARN prefixes (`arn:aws:s3:::bucket/...`) covered.
    pub prefixes: Vec<String>,
    /// Trail names that record S3 data events.
    pub trails: Vec<String>,
}

impl DataEventCoverage {
    pub fn covers(&self, bucket: &str) -> bool {
        self.all_buckets
            || self.prefixes.iter().any(|p| {
                let p = p.trim_end_matches('/');
                p.ends_with(&format!(":::{bucket}")) || p.contains(&format!(":::{bucket}/"))
            })
    }

    /// A basic selector's S3 data resource values: `arn:aws:s3` (all) or bucket ARNs.
    pub fn add_basic(&mut self, trail: &str, read_write_all_or_read: bool, values: &[String]) {
        if !read_write_all_or_read {
            return;
        }
        self.note(trail);
        for v in values {
            let v = v.trim();
            if v == "arn:aws:s3"
                || v == "arn:aws:s3:::"
                || v == "arn:aws-cn:s3"
                || v == "arn:aws-us-gov:s3"
            {
                self.all_buckets = true;
            } else {
                self.prefixes.push(v.to_string());
            }
        }
    }

    /// An advanced selector: `eventCategory = Data`, `resources.type = AWS::S3::Object`, and
    /// optionally `resources.ARN StartsWith`. Selectors that exclude reads are not counted.
    pub fn add_advanced(&mut self, trail: &str, fields: &[(String, Vec<String>, Vec<String>)]) {
        let has = |name: &str, value: &str| {
            fields.iter().any(|(f, equals, _)| {
                f.eq_ignore_ascii_case(name) && equals.iter().any(|v| v == value)
            })
        };
        if !(has("eventCategory", "Data") && has("resources.type", "AWS::S3::Object")) {
            return;
        }
        if has("readOnly", "false") {
            return; // writes only: reads of sensitive data are not logged
        }
        self.note(trail);
        let starts: Vec<&String> = fields
            .iter()
            .filter(|(f, _, _)| f.eq_ignore_ascii_case("resources.ARN"))
            .flat_map(|(_, _, starts_with)| starts_with)
            .collect();
        if starts.is_empty() {
            self.all_buckets = true;
        } else {
            self.prefixes.extend(starts.into_iter().cloned());
        }
    }

    fn note(&mut self, trail: &str) {
        if !self.trails.iter().any(|t| t == trail) {
            self.trails.push(trail.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_selectors_cover_all_or_named_buckets() {
        let mut c = DataEventCoverage::default();
        c.add_basic("t", true, &["arn:aws:s3:::customer-data/".to_string()]);
        assert!(c.covers("customer-data"));
        assert!(!c.covers("customer"));
        assert!(!c.covers("other"));
        c.add_basic("t", true, &["arn:aws:s3".to_string()]);
        assert!(c.covers("other"));
        let mut w = DataEventCoverage::default();
        w.add_basic("t", false, &["arn:aws:s3".to_string()]);
        assert!(!w.covers("other"), "WriteOnly selectors do not log reads");
    }

    #[test]
    fn advanced_selectors_need_data_category_and_s3_objects() {
        let f = |name: &str, eq: &[&str], sw: &[&str]| {
            (
                name.to_string(),
                eq.iter().map(|s| s.to_string()).collect(),
                sw.iter().map(|s| s.to_string()).collect(),
            )
        };
        let mut c = DataEventCoverage::default();
        c.add_advanced("t", &[f("eventCategory", &["Management"], &[])]);
        assert!(!c.covers("b"));
        c.add_advanced(
            "t",
            &[
                f("eventCategory", &["Data"], &[]),
                f("resources.type", &["AWS::S3::Object"], &[]),
                f("resources.ARN", &[], &["arn:aws:s3:::b/"]),
            ],
        );
        assert!(c.covers("b"));
        assert!(!c.covers("bb"));
        c.add_advanced(
            "t",
            &[
                f("eventCategory", &["Data"], &[]),
                f("resources.type", &["AWS::S3::Object"], &[]),
                f("readOnly", &["false"], &[]),
            ],
        );
        assert!(!c.covers("zz"));
        c.add_advanced(
            "t",
            &[
                f("eventCategory", &["Data"], &[]),
                f("resources.type", &["AWS::S3::Object"], &[]),
            ],
        );
        assert!(c.covers("zz"));
    }
}
