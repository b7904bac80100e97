#!/usr/bin/env bash
# The main job, locally: start the AWS emulator, seed a demo account with root-user problems, run
# the rules and replay sample CloudTrail/Config events through the handlers, print the compliance
# table, the alerts received and the findings stored, stop the emulator.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh
cargo build --quiet -p ftr-cli -p ftr-harness --bins
exec target/debug/ftr-demo
