#!/usr/bin/env bash
# vegeta, the constant-rate HTTP load generator bench/extauth.ts measures Envoy with (a Node generator on the
# same 2 cores set the tail it was meant to measure), built with `go install` from the Go module proxy at the
# version pinned in scripts/versions.env into $PORTICO_CACHE/vegeta/<version>/bin, linked as $PORTICO_CACHE/bin/vegeta.
# Only the bench asks for it (scripts/setup.sh vegeta); a cold build takes a minute or two.
set -euo pipefail
COMPONENT=vegeta
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

dir=$PORTICO_CACHE/vegeta/$VEGETA_VERSION
skip_if_cached "$dir" "$VEGETA_BINARY" && exit 0
go_env
rm -rf "$dir"
mkdir -p "$dir/bin"
step "go install $VEGETA_PACKAGE@$VEGETA_VERSION"
HEARTBEAT_WHAT="building vegeta" with_heartbeat 20 \
  env GOBIN="$dir/bin" go install -trimpath -ldflags "-s -w" "$VEGETA_PACKAGE@$VEGETA_VERSION" ||
  die "go install failed (proxy or checksum database unreachable? see above)"
echo "package=$VEGETA_PACKAGE@$VEGETA_VERSION go=$(go env GOVERSION)" >"$dir/build-info.txt"
mark_installed "$dir"
link_bin "$dir/bin/$VEGETA_BINARY" "$VEGETA_BINARY"
step "vegeta at $PORTICO_BIN/$VEGETA_BINARY"
