//! Fact collectors: async readers over the AWS SDK clients they are given.

pub mod config_items;
pub mod root_account;
