#!/usr/bin/env bash
# Installs what the tests and the demo need into the project, idempotently:
#   ./.venv with moto server (local AWS emulator), cargo-lambda and cfn-lint, pinned in
#   harness/requirements.txt. Rust itself comes from the machine's toolchain (rustup).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
req="harness/requirements.txt"
stamp=".venv/.ftr-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x .venv/bin/python && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "bootstrap: python3 is required (3.9 or newer)" >&2; exit 1; }
command -v cargo >/dev/null || { echo "bootstrap: cargo (Rust toolchain) is required" >&2; exit 1; }
echo "bootstrap: creating .venv with $(tr '\n' ' ' < <(grep -v '^#' "$req"))" >&2
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
