#!/usr/bin/env bash
# Builds one of Consul, Nomad, OpenBao with the `go` tool from the Go module proxy, at the versions pinned
# in scripts/versions.env, into $PORTICO_CACHE/<component>/<version>/bin/, and links $PORTICO_CACHE/bin/<binary>.
#
#   scripts/setup/go-component.sh consul|nomad|openbao
#
# Why not `go install module@version`: these modules' go.mod files have `replace` lines (their api, sdk, …
# sub-modules point at ./api, ./sdk, …), and `go install` refuses such a module. So we lay the module tree
# out as the upstream repository is (the root module, each replaced sub-module downloaded and put at its
# ./dir) in a scratch folder under the cache, and `go build` there with the upstream go.mod and go.sum,
# so every upstream replace and exclude applies unchanged. Checksums stay verified: every download is
# checked against go.sum or the checksum database (GOSUMDB), never GONOSUMCHECK/GOFLAGS=-insecure.
#
# Everything Go writes goes under the cache too (go_env in lib.sh).
set -euo pipefail
name=${1:-}
case "$name" in
  consul | nomad | openbao) ;;
  *)
    echo "usage: $0 consul|nomad|openbao" >&2
    exit 2
    ;;
esac
COMPONENT=$name
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

var() { local v="${name^^}_$1"; printf '%s' "${!v-}"; }
version=$(var VERSION)
module=$(var MODULE)
submodules=$(var SUBMODULES)
package=$(var PACKAGE)
binary=$(var BINARY)
tags=$(var TAGS)
ldflags_x=$(var LDFLAGS_X)
unused=$(var UNUSED_MODULES)
[[ -n "$version" && -n "$module" && -n "$binary" ]] || die "scripts/versions.env has no ${name^^}_VERSION/_MODULE/_BINARY"

dir=$PORTICO_CACHE/$name/$version
skip_if_cached "$dir" "$binary" && exit 0

go_env
gover=$(go env GOVERSION)
step "building $binary $version from $module with $gover ($(nproc) cores)"

# download MODULE@VERSION: prints the folder of the verified, extracted module.
download() {
  local json
  json=$(go mod download -json "$1" 2>&1) || true
  local d err
  d=$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  err=$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p')
  if [[ -n "$err" || -z "$d" || ! -d "$d" ]]; then
    # verifying …: checksum database unreachable or mismatched; 403/404: the proxy does not serve it.
    die "go mod download $1 failed: ${err:-$json}"
  fi
  printf '%s\n' "$d"
}

work=$PORTICO_CACHE/$name/.build-$version
# Scratch trees of earlier failed builds (of any version) only take space.
rm -rf "$PORTICO_CACHE/$name"/.build-*
mkdir -p "$work/src"
# Kept on failure (its build.log says why); removed once the binary is in place.

step "go mod download $module"
root=$(download "$module")
cp -R "$root/." "$work/src/"
for sub in $submodules; do
  subdir=${sub%%=*}
  submod=${sub#*=}
  step "go mod download $submod -> ./$subdir"
  d=$(download "$submod")
  mkdir -p "$work/src/$subdir"
  cp -R "$d/." "$work/src/$subdir/"
done
chmod -R u+w "$work/src"

cd "$work/src"
for m in $unused; do
  step "dropping $m from go.mod (no package of $binary imports it; the proxy does not serve it)"
  go mod edit -droprequire="$m" -dropreplace="$m"
done
# Listing the packages the binary is made of downloads the modules they come from (each checked against
# go.sum, or against GOSUMDB for the few go.sum lacks because our ./dir sub-module versions add them:
# -mod=mod lets go record those in the scratch go.sum) and gives the count for the progress lines.
step "resolving and downloading the dependencies of $package (a few hundred modules on a cold cache)"
pkgs=$work/packages.txt
HEARTBEAT_WHAT="downloading modules" with_heartbeat 20 \
  go list -mod=mod -deps -tags "$tags" "$package" >"$pkgs" 2>"$work/list.err" || {
  tail -n 30 "$work/list.err" >&2
  die "resolving the dependencies failed (proxy or checksum database unreachable? a checksum mismatch?)"
}
total=$(wc -l <"$pkgs")
step "$total packages to build"

ldflags="-s -w"
for x in $ldflags_x; do
  [[ "$x" == *= ]] && continue # an empty value (e.g. an unknown commit) is left as built
  ldflags+=" -X $x"
done
out=$work/out
mkdir -p "$out"
log=$work/build.log
step "go build -trimpath -tags '$tags' -ldflags '$ldflags' $package ($total packages; log: $log)"
build_started=$(date +%s)
# -v prints each package as it is compiled: count them and report every 15 seconds.
count_progress() {
  local n=0 last rc=1 line now
  last=$(date +%s)
  while IFS= read -r line; do
    if [[ "$line" == __exit* ]]; then
      rc=${line#__exit }
      continue
    fi
    printf '%s\n' "$line" >>"$log"
    n=$((n + 1))
    now=$(date +%s)
    if ((now - last >= 15)); then
      step "compiling… $n/$total packages, $((now - build_started)) s"
      last=$now
    fi
  done
  return "$rc"
}
if ! {
  go build -mod=mod -v -trimpath -tags "$tags" -ldflags "$ldflags" -o "$out/$binary" "$package" 2>&1 &&
    echo "__exit 0" || echo "__exit $?"
} | count_progress; then
  tail -n 40 "$log" >&2
  die "go build failed (last lines above; whole log: $log)"
fi
build_secs=$(($(date +%s) - build_started))
step "compiled in $build_secs s"

"$out/$binary" version >/dev/null 2>&1 || die "$out/$binary does not run: $("$out/$binary" version 2>&1 | tail -n 3)"
rm -rf "$dir"
mkdir -p "$dir/bin"
mv "$out/$binary" "$dir/bin/$binary"
{
  echo "module=$module"
  echo "submodules=$submodules"
  echo "go=$gover"
  echo "tags=$tags"
  echo "ldflags=$ldflags"
  echo "build_seconds=$build_secs"
} >"$dir/build-info.txt"
mark_installed "$dir"
cd /
rm -rf "$work"
link_bin "$dir/bin/$binary" "$binary"
step "$("$PORTICO_BIN/$binary" version 2>&1 | head -n1) at $PORTICO_BIN/$binary"
