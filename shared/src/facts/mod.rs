//! Typed facts read from AWS, with their parsers (pure).

pub mod credential_report;
pub mod s3_config_item;
