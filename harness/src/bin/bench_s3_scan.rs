//! The full S3 evaluation at scale, measured against the local emulator: seed N buckets (mixed
//! private / public / public-and-reviewed), run the S3-001 and S3-002 rules over all of them as a
//! periodic Config invocation would (TESTMODE evaluations, findings to Security Hub), and print
//! buckets, read calls per bucket (counted by an SDK interceptor), write calls, wall time, peak
//! memory of this process, and the Security Hub call rate. Prints figures, asserts nothing.
//! Run: `scripts/bench.sh` (N=5000) or `target/release/ftr-bench-s3-scan N`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use chrono::Utc;
use ftr_harness::{enable_security_hub, Moto, ACCOUNT_ID};
use ftr_shared::collect::s3_buckets::S3Clients;
use ftr_shared::events::config_rule::ResultToken;
use ftr_shared::handlers::s3_rules::S3Rules;
use ftr_shared::settings::Settings;
use futures::StreamExt;

/// Counts operations (not retried attempts) by name.
#[derive(Debug, Clone, Default)]
struct CallCounter(Arc<Mutex<BTreeMap<String, usize>>>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    /// Once per operation (before the retry loop), when the operation's metadata is known.
    fn read_after_serialization(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_else(|| "?".into());
        *self.0.lock().unwrap().entry(op).or_default() += 1;
        Ok(())
    }
}

impl CallCounter {
    fn total(&self) -> usize {
        self.0.lock().unwrap().values().sum()
    }
    fn take(&self) -> BTreeMap<String, usize> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;

    // Seed: 80% private, 15% public, 5% public but reviewed.
    let seed = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let t = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let s3 = seed.clone();
            async move {
                let name = format!("bench-{i:05}");
                s3.create_bucket().bucket(&name).send().await.expect("create");
                if i % 20 < 4 {
                    let policy = format!(
                        r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{name}/*"}}]}}"#
                    );
                    s3.put_bucket_policy().bucket(&name).policy(policy).send().await.expect("policy");
                }
                if i % 20 == 3 {
                    let tag = |k: &str, v: &str| aws_sdk_s3::types::Tag::builder().key(k).value(v).build().unwrap();
                    s3.put_bucket_tagging()
                        .bucket(&name)
                        .tagging(
                            aws_sdk_s3::types::Tagging::builder()
                                .tag_set(tag("ftr:exempt", "S3-001,S3-002"))
                                .tag_set(tag("ftr:exempt-reason", "public assets"))
                                .tag_set(tag("ftr:exempt-until", "2099-01-01"))
                                .build()
                                .unwrap(),
                        )
                        .send()
                        .await
                        .expect("tags");
                }
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    println!("seeded {n} buckets in {:.1} s", t.elapsed().as_secs_f64());

    let reads = CallCounter::default();
    let writes = CallCounter::default();
    let mut clients = S3Clients::new(&sdk);
    clients.s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .interceptor(reads.clone())
            .build(),
    );
    let config = aws_sdk_config::Client::from_conf(
        aws_sdk_config::config::Builder::from(&sdk)
            .interceptor(writes.clone())
            .build(),
    );
    let hub = aws_sdk_securityhub::Client::from_conf(
        aws_sdk_securityhub::config::Builder::from(&sdk)
            .interceptor(writes.clone())
            .build(),
    );
    let settings = Settings::from_lookup(|_| None).expect("settings");
    let rules = S3Rules::from_clients(&sdk, &settings, clients, config, hub);

    println!(
        "{:<8} {:>8} {:>10} {:>12} {:>12} {:>8} {:>10} {:>12}",
        "control",
        "buckets",
        "reads/bkt",
        "write calls",
        "results/wr",
        "secs",
        "hub/s",
        "non-compl."
    );
    for control in ["S3-001", "S3-002"] {
        reads.take();
        writes.take();
        let c = ftr_shared::catalogue::control(control).unwrap();
        let t = Instant::now();
        let summary = rules
            .scan(
                c,
                &Default::default(),
                ACCOUNT_ID,
                Some(&ResultToken::TestMode),
                Utc::now(),
                Utc::now(),
                false,
            )
            .await
            .expect("scan");
        let secs = t.elapsed().as_secs_f64();
        let write_ops = writes.take();
        if std::env::var_os("FTR_BENCH_VERBOSE").is_some() {
            eprintln!("writes: {write_ops:?}");
        }
        let hub_calls = write_ops.get("BatchImportFindings").copied().unwrap_or(0);
        let write_calls: usize = write_ops.values().sum();
        let bucket_reads = reads.total() - 1; // ListBuckets is per run, not per bucket
        println!(
            "{:<8} {:>8} {:>10.2} {:>12} {:>12.1} {:>8.1} {:>10.1} {:>12}",
            control,
            summary.buckets,
            bucket_reads as f64 / summary.buckets as f64,
            write_calls,
            (2 * summary.buckets) as f64 / write_calls as f64,
            secs,
            hub_calls as f64 / secs,
            summary.non_compliant
        );
    }
    println!(
        "peak memory of this process (VmHWM): {:.1} MiB",
        peak_rss_mib()
    );
    println!("targets: ≤ 4 reads per bucket, ≤ 1 write call per 100 results (results/wr ≥ 100 counts both sinks), ≤ 64 MiB at 5,000 buckets, Security Hub < 10 calls/s");
}
