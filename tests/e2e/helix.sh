#!/usr/bin/env bash
# End-to-end check of editors/helix/languages.toml in a real Helix, run by
# tests/editors.rs. Helix runs inside a private tmux server; the screen is read
# with capture-pane until the server's diagnostics show. Variables:
#   E2E_PROJECT  scratch copy of examples/demo (gets a .helix/languages.toml)
#   E2E_HX       the hx command
#   E2E_SERVER   the ecto-ash-lsp binary (its folder goes first on PATH)
#   E2E_CONFIG   editors/helix/languages.toml
#   E2E_OUT      where the screen dump (helix.txt) goes
# Prints `ok - step`; on failure prints the last screen and exits 1.
set -euo pipefail
for v in E2E_PROJECT E2E_HX E2E_SERVER E2E_CONFIG E2E_OUT; do
  [[ -n ${!v:-} ]] || { echo "FAIL: $v is not set" >&2; exit 2; }
done

work=$(mktemp -d)
sock=$work/tmux.sock
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$E2E_PROJECT/.helix" "$work/home/.config" "$E2E_OUT"
cp "$E2E_CONFIG" "$E2E_PROJECT/.helix/languages.toml"
# A private HOME keeps the machine's Helix config and logs out of the run.
cat >"$work/hx" <<SCRIPT
#!/bin/sh
export HOME='$work/home' XDG_CONFIG_HOME='$work/home/.config' XDG_CACHE_HOME='$work/home/.cache'
export PATH='$(dirname "$E2E_SERVER")':"\$PATH" TERM=xterm-256color
exec '$E2E_HX' "\$@"
SCRIPT
chmod +x "$work/hx"

screen=""
fail() {
  echo "FAIL: $1" >&2
  if [[ -n $screen ]]; then
    printf -- '--- last screen ---\n%s\n' "$screen" >&2
  fi
  local log=$work/home/.cache/helix/helix.log
  if [[ -f $log ]]; then
    printf -- '--- helix.log ---\n' >&2
    grep -v 'tree-sitter parser' "$log" | tail -n 20 >&2 || true
  fi
  exit 1
}

# `hx --health` exits 0 even when a server is missing: read its text.
cd "$E2E_PROJECT"
health=$("$work/hx" --health elixir 2>&1 | sed 's/\x1b\[[0-9;]*m//g') || fail "hx --health failed: $health"
grep -q "✓ ecto-ash-lsp: $E2E_SERVER" <<<"$health" || fail "hx --health does not find ecto-ash-lsp:
$health"
echo "ok - hx --health finds ecto-ash-lsp for elixir"

TERM=xterm-256color tmux -S "$sock" -f /dev/null new-session -d -x 120 -y 36 \
  "$work/hx lib/demo/platform/auth_lockout.ex"

# Wait up to $1 seconds until the screen matches the extended regex $2.
wait_screen() {
  local until=$((SECONDS + $1))
  while ((SECONDS < until)); do
    screen=$(tmux -S "$sock" capture-pane -p 2>/dev/null || true)
    if grep -Eq -- "$2" <<<"$screen"; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# Gutter marks on exactly the lines with findings (8, 33; 39 is off screen).
wait_screen 30 '^● +33 ' || fail "no diagnostic marks in the gutter"
for line in 8 33; do
  grep -Eq "^● +$line " <<<"$screen" || fail "no diagnostic mark on line $line"
done
if grep -E '^● +[0-9]+ ' <<<"$screen" | grep -Evq '^● +(8|33) '; then
  fail "diagnostic marks on other lines"
fi
echo "ok - diagnostics mark lines 8 and 33 of the resource"

# ]d walks the diagnostics; the third is the missing column on line 39.
for _ in 1 2 3; do
  tmux -S "$sock" send-keys ']' 'd'
  sleep 0.3
done
wait_screen 10 'attribute :unlocked_at has no column in table platform\.auth_lockouts' ||
  fail "the missing-column message does not show"
grep -q '(missing-column)' <<<"$screen" || fail "the message lacks its rule code"
grep -Eq ' 39:[0-9]+ *$' <<<"$screen" || fail "the cursor is not on line 39"
echo "ok - ]d shows the missing-column diagnostic on line 39"
printf '%s\n' "$screen" >"$E2E_OUT/helix.txt"

tmux -S "$sock" send-keys Escape ':q!' Enter
