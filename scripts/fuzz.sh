#!/usr/bin/env bash
# Coverage-guided fuzzing of every target with libFuzzer, on the stable
# toolchain (the flags are the ones `cargo fuzz build -s none` passes; no
# sanitizer, so no nightly is needed).
#
#   scripts/fuzz.sh 3600          # an hour, shared between the targets
#   scripts/fuzz.sh quick         # CI: ~2 minutes in all, fails on a crash
#   scripts/fuzz.sh 600 lsp sql   # only some targets
#
# Seeds come from the repo's fixtures and the demo (copied at each run) and
# fuzz/seeds/<target>/ (committed, with every crash ever found). The grown
# corpus lives in fuzz/corpus/<target>/ (ignored by git); crashes land in
# fuzz/artifacts/<target>/ and make the script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

total=${1:-quick}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(migration resource sql snapshot lsp)
fi
random_seed=()
if [[ $total == quick ]]; then
  # CI: a lighter optimisation to build faster from cold, then 12 s per target.
  per_target=12
  # A fixed seed: CI explores the same inputs as `scripts/fuzz.sh quick`
  # run locally, so a crash it finds can be found (and fixed) before pushing.
  random_seed=(-seed=1)
  export CARGO_PROFILE_FUZZ_OPT_LEVEL=1
  # From the seeds alone, so a corpus grown by long runs cannot slow it.
  corpus_base=$(mktemp -d)
  trap 'rm -rf "$corpus_base"' EXIT
else
  per_target=$((total / ${#targets[@]}))
  # libFuzzer reads 0 as "no limit".
  ((per_target > 0)) || per_target=1
fi

export RUSTFLAGS="${RUSTFLAGS:-} -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$repo/fuzz/target}"
# An explicit --target keeps the coverage flags off build scripts and proc
# macros (they would not link without libFuzzer), as cargo fuzz does.
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --manifest-path fuzz/Cargo.toml --profile fuzz --target "$host" --bins --quiet
bin="$CARGO_TARGET_DIR/$host/fuzz"

# Seed a target's corpus folder from files in the repo.
seed() {
  local target=$1 dir=$corpus_base/$1
  mkdir -p "$dir" "$repo/fuzz/artifacts/$target"
  if [[ -d fuzz/seeds/$target ]]; then
    cp -n fuzz/seeds/"$target"/* "$dir"/ 2>/dev/null || true
  fi
  local files=()
  case $target in
    migration) mapfile -t files < <(find tests/fixtures examples/demo -path '*/migrations/*.exs') ;;
    resource) mapfile -t files < <(find tests/fixtures examples/demo -path '*/lib/*.ex') ;;
    snapshot) mapfile -t files < <(find tests/fixtures examples/demo -path '*/resource_snapshots/*.json') ;;
  esac
  local f
  for f in "${files[@]}"; do
    cp -n "$f" "$dir/fixture-$(echo "$f" | tr '/' '_')"
  done
}

corpus_base=${corpus_base:-$repo/fuzz/corpus}
status=0
for target in "${targets[@]}"; do
  seed "$target"
  echo "== $target: ${per_target}s"
  log=$repo/fuzz/artifacts/$target/last-run.log
  # -timeout: one input running longer than this is a hang, reported as a crash.
  if ! "$bin/$target" "$corpus_base/$target" \
      -max_total_time="$per_target" "${random_seed[@]}" -timeout=30 -rss_limit_mb=4096 -max_len=65536 \
      -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1 >"$log" 2>&1; then
    status=1
    echo "!! $target found a crash; see $log and fuzz/artifacts/$target/"
    grep -m5 -E "panicked|ERROR|SUMMARY" "$log" || true
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$log" | sed "s/^/   /" || true
  tail -n 1 "$log" | sed "s/^/   /"
done
exit $status
