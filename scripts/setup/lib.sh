# Shared helpers for scripts/setup/*.sh. Source it; it sources scripts/versions.env too.
#
# Layout of the cache (never inside the repository):
#   $PORTICO_CACHE/<component>/<version>/...   one folder per installed version, complete or absent
#   $PORTICO_CACHE/<component>/<version>/.complete   written last: its presence means "installed"
#   $PORTICO_CACHE/bin/<name>                  symlinks to the pinned versions (scripts/env.sh puts it on PATH)
# shellcheck shell=bash

SETUP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPTS_DIR=$(dirname "$SETUP_DIR")
# shellcheck source-path=SCRIPTDIR source=../versions.env disable=SC2034
. "$SCRIPTS_DIR/versions.env"

PORTICO_CACHE=${PORTICO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portico}
PORTICO_BIN=$PORTICO_CACHE/bin
export PORTICO_CACHE
mkdir -p "$PORTICO_BIN"

COMPONENT=${COMPONENT:-setup}
_started=$(date +%s)

elapsed() { echo $(($(date +%s) - _started)); }

# step "message": one progress line, with the seconds since this component's script started.
step() { printf '==> [%s] %s (%ss)\n' "$COMPONENT" "$*" "$(elapsed)"; }

die() {
  printf '==> [%s] FAILED: %s\n' "$COMPONENT" "$*" >&2
  exit 1
}

# is_installed DIR: the folder of a version is complete (its .complete marker exists).
is_installed() { [[ -f "$1/.complete" ]]; }

mark_installed() { date -u +%Y-%m-%dT%H:%M:%SZ >"$1/.complete"; }

# link_bin TARGET NAME: $PORTICO_CACHE/bin/NAME -> TARGET (atomically replaced).
link_bin() {
  local target=$1 name=$2
  [[ -x "$target" ]] || die "cannot link $name: $target is not an executable file"
  ln -sfn "$target" "$PORTICO_BIN/.$name.tmp"
  mv -Tf "$PORTICO_BIN/.$name.tmp" "$PORTICO_BIN/$name"
}

# skip_if_cached DIR NAME...: when DIR is complete, (re)link each NAME from DIR/bin and say so.
# Returns 0 (skip the install) or 1 (install needed).
skip_if_cached() {
  local dir=$1
  shift
  is_installed "$dir" || return 1
  local name
  for name in "$@"; do link_bin "$dir/bin/$name" "$name"; done
  step "already cached in $dir, skipping"
  return 0
}

# version_ge A B: A >= B, comparing dotted numbers (1.10 > 1.9).
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

# with_heartbeat SECONDS CMD...: runs CMD, printing "still <what>… N s" every SECONDS while it runs.
# The message is $HEARTBEAT_WHAT (default: working).
with_heartbeat() {
  local every=$1
  shift
  local what=${HEARTBEAT_WHAT:-working}
  "$@" &
  local pid=$! rc=0
  (
    # A killed subshell would leave its `sleep` holding our stdout (a pipe to tee stays open): kill it too.
    s=
    trap 'kill $s 2>/dev/null; exit 0' TERM
    while :; do
      sleep "$every" &
      s=$!
      wait "$s"
      kill -0 "$pid" 2>/dev/null || exit 0
      step "still $what…"
    done
  ) &
  local beat=$!
  wait "$pid" || rc=$?
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  return "$rc"
}

# pip_venv DIR SPEC: a fresh virtual environment at DIR/venv with the pip requirement SPEC installed, with
# progress. A venv is not relocatable (its scripts name their interpreter by absolute path), so it is built
# in place; the caller's mark_installed, written last, says it is whole.
pip_venv() {
  local dir=$1 spec=$2 python=${PYTHON:-python3}
  command -v "$python" >/dev/null || die "python3 is needed (apt-get install python3 python3-venv)"
  rm -rf "$dir"
  step "python3 -m venv $dir/venv"
  "$python" -m venv "$dir/venv" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  step "pip install $spec"
  HEARTBEAT_WHAT="installing $spec" with_heartbeat 15 \
    "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$spec"
}

# go_env: the go tool on PATH, and everything Go writes kept under the cache (GOMODCACHE=$PORTICO_CACHE/go/mod,
# shared by the Go builds, which share most dependencies; GOCACHE=$PORTICO_CACHE/go/build), static binaries,
# checksums verified. Say which proxy and checksum database are used; refuse to build unverified.
go_env() {
  command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null || die "the go tool is needed (Go >= $GO_MIN_VERSION; looked on PATH and in /usr/local/go/bin)"
  export GOMODCACHE=${PORTICO_GOMODCACHE:-$PORTICO_CACHE/go/mod}
  export GOCACHE=${PORTICO_GOCACHE:-$PORTICO_CACHE/go/build}
  export CGO_ENABLED=0
  # -modcacherw: the module cache is removable with rm -rf. -buildvcs=false: no repository to stamp from.
  export GOFLAGS="-modcacherw -buildvcs=false"
  [[ "$(go env GOSUMDB)" != off ]] || die "GOSUMDB=off: refusing to build without checksum verification"
  [[ -z "$(go env GONOSUMDB)$(go env GONOSUMCHECK 2>/dev/null)$(go env GOINSECURE)" ]] ||
    step "note: GONOSUMDB/GOINSECURE are set ($(go env GONOSUMDB) $(go env GOINSECURE)): those modules skip the checksum database"
  step "$(go env GOVERSION): GOPROXY=$(go env GOPROXY) GOSUMDB=$(go env GOSUMDB) GOMODCACHE=$GOMODCACHE"
}
