#!/usr/bin/env bash
# envoyproxy/ratelimit (the peer bench/ratelimit.ts compares Portico's rate-limit service with), built with
# `go install` from the Go module proxy at the version pinned in scripts/versions.env, into
# $PORTICO_CACHE/ratelimit-peer/<version>/bin/envoy-ratelimit, linked as $PORTICO_CACHE/bin/envoy-ratelimit.
# Only the bench asks for it (scripts/setup.sh ratelimit-peer); a cold build takes a few minutes.
set -euo pipefail
COMPONENT=ratelimit-peer
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

dir=$PORTICO_CACHE/ratelimit-peer/$RATELIMIT_PEER_VERSION
skip_if_cached "$dir" "$RATELIMIT_PEER_BINARY" && exit 0
go_env
rm -rf "$dir"
mkdir -p "$dir/bin"
step "go install $RATELIMIT_PEER_PACKAGE@$RATELIMIT_PEER_VERSION"
HEARTBEAT_WHAT="building envoyproxy/ratelimit" with_heartbeat 20 \
  env GOBIN="$dir/bin" go install -trimpath -ldflags "-s -w" "$RATELIMIT_PEER_PACKAGE@$RATELIMIT_PEER_VERSION" ||
  die "go install failed (proxy or checksum database unreachable? see above)"
mv "$dir/bin/service_cmd" "$dir/bin/$RATELIMIT_PEER_BINARY"
echo "package=$RATELIMIT_PEER_PACKAGE@$RATELIMIT_PEER_VERSION go=$(go env GOVERSION)" >"$dir/build-info.txt"
mark_installed "$dir"
link_bin "$dir/bin/$RATELIMIT_PEER_BINARY" "$RATELIMIT_PEER_BINARY"
step "envoy-ratelimit at $PORTICO_BIN/$RATELIMIT_PEER_BINARY"
