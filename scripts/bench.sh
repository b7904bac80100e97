#!/usr/bin/env bash
# Benchmarks that print figures (no pass/fail; machines here are noisy):
#   - cold start: release function binary vs a Python/boto3 handler, spawn → first Runtime API request
#   - S3 scale: N buckets (FTR_BENCH_BUCKETS, default 5000), reads per bucket, write calls, memory
#   - alert path: handler time per event, AWS calls excluded
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh
cargo build --release --quiet -p root-activity-alert
cargo build --release --quiet -p ftr-harness --bin ftr-bench-cold-start --bin ftr-bench-s3-scan
echo "== cold start"
target/release/ftr-bench-cold-start target/release/root-activity-alert
echo "== S3 evaluation at scale (${FTR_BENCH_BUCKETS:-5000} buckets in the emulator)"
target/release/ftr-bench-s3-scan "${FTR_BENCH_BUCKETS:-5000}"
echo "== alert path (cargo bench)"
cargo bench --quiet -p ftr-shared --bench alert_path
