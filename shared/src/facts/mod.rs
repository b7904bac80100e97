//! Typed facts read from AWS, with their parsers (pure).

pub mod credential_report;
pub mod data_events;
pub mod s3_config_item;
