#!/usr/bin/env bash
# The RE2 addon of src/lib/re2.ts: native/re2-measure.cc compiled with the RE2 and Abseil sources vendored in
# the npm package re2@RE2_NPM_VERSION (its own binding is not used: it does not expose the program size) into
# $PORTICO_CACHE/re2/<version>-<hash of the addon source>/re2-measure.node, linked as
# $PORTICO_CACHE/lib/re2-measure.node. About 3 minutes of compiling on 2 cores, once.
# Needs g++ and the Node headers (include/node beside the node binary, as the official builds ship them).
set -euo pipefail
COMPONENT=re2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

src_hash=$(sha256sum "$SCRIPTS_DIR/../native/re2-measure.cc" | cut -c1-12)
dir=$PORTICO_CACHE/re2/$RE2_NPM_VERSION-$src_hash
link=$PORTICO_CACHE/lib/re2-measure.node
mkdir -p "$PORTICO_CACHE/lib"
if is_installed "$dir"; then
  ln -sfn "$dir/re2-measure.node" "$link"
  step "already cached in $dir, skipping"
  exit 0
fi
command -v g++ >/dev/null || die "g++ is needed to build the RE2 addon (apt-get install g++)"
node=$(command -v node) || die "node is needed (scripts/setup.sh node)"
headers=$(dirname "$(dirname "$(readlink -f "$node")")")/include/node
[[ -f "$headers/node_api.h" ]] || die "no Node headers at $headers (node_api.h): use an official Node build"

tmp=$dir.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
step "npm pack re2@$RE2_NPM_VERSION (sources only)"
(cd "$tmp" && npm pack --silent "re2@$RE2_NPM_VERSION" >/dev/null && tar xzf re2-*.tgz)
pkg=$tmp/package
# The vendored sources the package's own binding.gyp compiles on Linux: RE2 and the Abseil parts it uses.
mapfile -t sources < <(grep -o '"vendor/[^"]*\.cc"' "$pkg/binding.gyp" | tr -d '"' | grep -v '_win\.cc$')
((${#sources[@]} > 20)) || die "found only ${#sources[@]} vendored sources in re2@$RE2_NPM_VERSION's binding.gyp"
flags=(-std=c++2a -O2 -fPIC -pthread -DNDEBUG -w -I"$pkg/vendor/re2" -I"$pkg/vendor/abseil-cpp" -I"$headers")
step "compiling ${#sources[@]} RE2/Abseil sources (a few minutes on 2 cores)"
printf '%s\n' "${sources[@]/#/$pkg/}" >"$tmp/sources"
HEARTBEAT_WHAT="compiling RE2" with_heartbeat 30 \
  xargs -a "$tmp/sources" -P "$(nproc)" -I{} g++ "${flags[@]}" -c {} -o {}.o
objects=("${sources[@]/#/$pkg/}")
objects=("${objects[@]/%/.o}")
g++ "${flags[@]}" -shared "$SCRIPTS_DIR/../native/re2-measure.cc" "${objects[@]}" -o "$tmp/re2-measure.node"
got=$("$node" -e 'console.log(JSON.stringify(require(process.argv[1]).measure("/v[0-9]{1,200}/.*")))' "$tmp/re2-measure.node")
# What Envoy 1.40 reports for this regex (its NACK names the size).
[[ "$got" == '{"programSize":408}' ]] || die "the addon measures /v[0-9]{1,200}/.* as $got, Envoy as {\"programSize\":408}"
mark_installed "$tmp"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
ln -sfn "$dir/re2-measure.node" "$link"
step "RE2 addon at $link (measure('/v[0-9]{1,200}/.*') = $got)"
