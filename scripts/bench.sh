#!/usr/bin/env bash
# Benchmarks that print figures (no pass/fail; machines here are noisy):
#   - cold start: release function binary vs a Python/boto3 handler, spawn → first Runtime API request
#   - alert path: handler time per event, AWS calls excluded
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh
cargo build --release --quiet -p root-activity-alert
cargo build --release --quiet -p ftr-harness --bin ftr-bench-cold-start
echo "== cold start"
target/release/ftr-bench-cold-start target/release/root-activity-alert
echo "== alert path (cargo bench)"
cargo bench --quiet -p ftr-shared --bench alert_path
