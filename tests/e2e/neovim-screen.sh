#!/usr/bin/env bash
# A screen dump of editors/neovim in a real Neovim (in a private tmux server),
# for the README: the resource with the server's diagnostics as virtual text.
# Run by tests/editors.rs after tests/e2e/neovim.lua. Variables: E2E_PROJECT,
# E2E_NVIM, E2E_SERVER, E2E_CONFIG (editors/neovim), E2E_OUT (gets neovim.txt).
# Exits 1, printing the last screen, if the diagnostics never show.
set -euo pipefail
for v in E2E_PROJECT E2E_NVIM E2E_SERVER E2E_CONFIG E2E_OUT; do
  [[ -n ${!v:-} ]] || { echo "FAIL: $v is not set" >&2; exit 2; }
done

work=$(mktemp -d)
sock=$work/tmux.sock
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$E2E_OUT"

cat >"$work/init.lua" <<LUA
vim.opt.runtimepath:prepend("$E2E_CONFIG")
vim.opt.number = true
vim.diagnostic.config({ virtual_text = true, signs = true })
require("ecto_ash_lsp").setup({ cmd = { "$E2E_SERVER" } })
LUA

TERM=xterm-256color tmux -S "$sock" -f /dev/null new-session -d -x 150 -y 30 -c "$E2E_PROJECT" \
  "env HOME='$work' XDG_CONFIG_HOME='$work/config' XDG_STATE_HOME='$work/state' XDG_DATA_HOME='$work/data' TERM=xterm-256color '$E2E_NVIM' --clean -u '$work/init.lua' +39 lib/demo/platform/auth_lockout.ex"

screen=""
until=$((SECONDS + 30))
while ((SECONDS < until)); do
  screen=$(tmux -S "$sock" capture-pane -p 2>/dev/null || true)
  if grep -Eq '^E +39 .*attribute :unlocked_at has no column in table' <<<"$screen" &&
    grep -Eq '^W +33 .*attribute :failed_attempts has allow_nil\? false' <<<"$screen"; then
    printf '%s\n' "$screen" >"$E2E_OUT/neovim.txt"
    echo "ok - Neovim shows the diagnostics as virtual text"
    tmux -S "$sock" send-keys Escape ':qa!' Enter
    exit 0
  fi
  sleep 0.2
done
printf 'FAIL: the diagnostics never showed\n--- last screen ---\n%s\n' "$screen" >&2
exit 1
