//! ftr-monitor's library: the FTR control catalogue, pure evaluators, AWS fact collectors, and the
//! sinks (AWS Config, Security Hub, SNS). Lambda functions and the `ftr` CLI are thin shells over it.

pub mod aws;
pub mod catalogue;
pub mod collect;
pub mod error;
pub mod evaluate;
pub mod evaluation;
pub mod events;
pub mod exemption;
pub mod facts;
pub mod handlers;
pub mod lambda;
pub mod policy;
pub mod settings;
pub mod sinks;
