#!/usr/bin/env bash
# The whole benchmark: cold `check` by phase at N = 1, 2, 5, 10 with peak
# RSS, raw SQL throughput against squawk, and the language server over
# stdio. Prints Markdown (also saved to target/bench-report.md).
#
#   scripts/bench.sh            full run on a release build (installs squawk-cli
#                               into target/bench-venv with pip the first time)
#   scripts/bench.sh --smoke    N=1, few edits, dev build, no squawk: checks that
#                               the harness still runs; never fails on a timing
#
# Extra arguments go to both harnesses (e.g. `--scales 1,2 --edits 300`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--smoke" ]]; then
  shift
  # The dev profile reuses the test build; timings mean nothing here.
  cargo bench --locked --profile dev --bench check -- --smoke "$@"
  cargo bench --locked --profile dev --bench lsp -- --smoke "$@"
  exit 0
fi

squawk=()
venv=target/bench-venv
if [[ ! -x "$venv/bin/squawk" ]] && command -v python3 >/dev/null; then
  echo "installing squawk-cli into $venv" >&2
  python3 -m venv "$venv" >&2 && "$venv/bin/pip" install --quiet squawk-cli >&2 || true
fi
if [[ -x "$venv/bin/squawk" ]]; then
  squawk=(--squawk "$venv/bin/squawk")
fi

load=$(cut -d' ' -f1 /proc/loadavg)
report=target/bench-report.md
{
  echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ), load $load at start"
  echo
  cargo bench --locked --bench check -- "${squawk[@]}" "$@"
  echo
  cargo bench --locked --bench lsp -- "$@"
  echo
  echo "Load at the end: $(cut -d' ' -f1 /proc/loadavg) (figures are comparable below 1.5)."
} | tee "$report"
