//! Handler time on the alert path, AWS calls excluded: parse a CloudTrail event, classify it,
//! build the finding and the alert (subject and body), for each fixture. Prints figures; asserts
//! nothing (machines here are noisy). Run: `cargo bench -p ftr-shared --bench alert_path`.

use std::time::Instant;

use ftr_shared::handlers::compliance_alert::plan_compliance_alert;
use ftr_shared::handlers::root_activity_alert::plan_root_activity;
use ftr_shared::sinks::securityhub::FindingContext;
use serde_json::Value;

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/events");
    let mut events: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    let ctx = FindingContext::new("111122223333", "us-east-1");
    println!("{:<52} {:>12} {:>12}", "event", "median µs", "max µs");
    let mut worst = 0f64;
    for (name, event) in &events {
        let compliance = event["detail-type"] == "Config Rules Compliance Change";
        let mut samples = Vec::with_capacity(2000);
        for _ in 0..2000 {
            let t = Instant::now();
            if compliance {
                if let Some(a) = plan_compliance_alert(event).unwrap() {
                    std::hint::black_box((a.subject(), a.body()));
                }
            } else if let Some(p) = plan_root_activity(event, "us-east-1").unwrap() {
                let asff = p.finding.to_asff(&ctx, chrono::Utc::now()).unwrap();
                std::hint::black_box((asff, p.alert.subject(), p.alert.body()));
            }
            samples.push(t.elapsed().as_secs_f64() * 1e6);
        }
        samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = samples[samples.len() / 2];
        let max = samples[samples.len() - 1];
        worst = worst.max(median);
        println!("{name:<52} {median:>12.1} {max:>12.1}");
    }
    println!("slowest median: {worst:.1} µs per event (target: ≤ 5000 µs handler time excluding AWS calls)");
}
