//! Parsing of the events the functions receive.

pub mod cloudtrail;
pub mod config_rule;
