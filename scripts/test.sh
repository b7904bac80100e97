#!/usr/bin/env bash
# Every test: installs what it needs (./.venv with the pinned emulator, cargo-lambda, cfn-lint),
# then format, lint, template lint, and the whole test suite (unit, aws-smithy-mocks, end-to-end
# against moto server, and a function binary under cargo-lambda's runtime emulator).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh
# One full run: incremental artifacts only cost disk here.
export CARGO_INCREMENTAL=0
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cfn-lint"
.venv/bin/cfn-lint template.yaml infra/*.yaml
echo "== cargo build (function binaries used by the cargo-lambda test)"
cargo build --workspace --bins
echo "== cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --lib --bins --tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run: the sum over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
