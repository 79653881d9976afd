#!/usr/bin/env bash
# Build the VS Code extension into a .vsix, offline once node_modules is there:
# type-check, bundle with esbuild (so the .vsix carries no node_modules), then
# `vsce package`. Usage: editors/vscode/build.sh [OUT.vsix]
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-ecto-ash-lsp.vsix}
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install tsc --noEmit -p .
npx --no-install esbuild src/extension.ts --bundle --outfile=out/extension.js \
  --external:vscode --format=cjs --platform=node --target=node18 --log-level=warning
npx --no-install vsce package --no-dependencies --skip-license --out "$out"
