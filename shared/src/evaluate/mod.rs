//! Pure evaluators: facts, parameters and `now` in; verdicts out. No I/O, no SDK types.

pub mod compliance_change;
pub mod root_account;
pub mod root_activity;
pub mod s3_buckets;
pub mod s3_exposure;
pub mod s3_monitoring;
