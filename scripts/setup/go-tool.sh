#!/usr/bin/env bash
# A benchmark tool built with `go install` from the Go module proxy at the version pinned in scripts/versions.env
# (modules without replace lines), into $PORTICO_CACHE/<component>/<version>/bin/<binary>, linked as
# $PORTICO_CACHE/bin/<binary>. Only the benches ask for them, never the default set-up:
#   ratelimit-peer  envoyproxy/ratelimit, the peer bench/ratelimit.ts measures Portico's rate-limit service against
#   vegeta          the constant-rate HTTP load generator of bench/extauth.ts (a Node one on the same two cores set
#                   the tail it was to measure)
# Usage: scripts/setup/go-tool.sh ratelimit-peer|vegeta
set -euo pipefail
COMPONENT=$1
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

prefix=$(tr 'a-z-' 'A-Z_' <<<"$COMPONENT")
version_var=${prefix}_VERSION package_var=${prefix}_PACKAGE binary_var=${prefix}_BINARY
version=${!version_var:?no $version_var in scripts/versions.env} package=${!package_var:?} binary=${!binary_var:?}

dir=$PORTICO_CACHE/$COMPONENT/$version
skip_if_cached "$dir" "$binary" && exit 0
go_env
rm -rf "$dir"
mkdir -p "$dir/bin"
step "go install $package@$version"
HEARTBEAT_WHAT="building $COMPONENT" with_heartbeat 20 \
  env GOBIN="$dir/bin" go install -trimpath -ldflags "-s -w" "$package@$version" ||
  die "go install failed (proxy or checksum database unreachable? see above)"
# go install names the binary after the package's last element that is not a major version (service_cmd, vegeta).
built=$(basename "$(sed -E 's#/v[0-9]+$##' <<<"$package")")
[[ "$built" == "$binary" ]] || mv "$dir/bin/$built" "$dir/bin/$binary"
echo "package=$package@$version go=$(go env GOVERSION)" >"$dir/build-info.txt"
mark_installed "$dir"
link_bin "$dir/bin/$binary" "$binary"
step "$binary at $PORTICO_BIN/$binary"
