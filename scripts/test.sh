#!/usr/bin/env bash
# Everything CI checks, in the order a failure is cheapest to see.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
