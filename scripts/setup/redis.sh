#!/usr/bin/env bash
# Redis from Debian (redis-server, redis-tools). Only the binaries are used: tests start their own
# redis-server on a loopback port with a temp dir. Debian's package also enables a system service; we
# neither rely on it nor start it (policy-rc.d keeps the install from starting it where there is an init).
# Links redis-server and redis-cli into $PORTICO_CACHE/bin.
set -euo pipefail
COMPONENT=redis
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

missing=()
for p in $REDIS_DEBIAN_PACKAGES; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]} == 0)); then
  step "Debian packages $REDIS_DEBIAN_PACKAGES already installed, skipping"
else
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} (Redis >= $REDIS_MIN_MAJOR) by hand"
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "installing ${missing[*]} needs root (or sudo)"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when something is missing (it is what makes a warm run slow).
  step "apt-get update"
  HEARTBEAT_WHAT="running apt-get update" with_heartbeat 15 "${sudo[@]}" apt-get update -qq ||
    die "apt-get update failed"
  step "apt-get install ${missing[*]}"
  # Keep the package's maintainer scripts from starting the system service (exit 101 = "not allowed").
  rcd=/usr/sbin/policy-rc.d
  added_rcd=
  if [[ ! -e $rcd ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$rcd" >/dev/null
    "${sudo[@]}" chmod +x "$rcd"
    added_rcd=1
    trap '"${sudo[@]}" rm -f "$rcd"' EXIT
  fi
  rc=0
  HEARTBEAT_WHAT="installing ${missing[*]}" with_heartbeat 15 \
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  if [[ -n "$added_rcd" ]]; then
    "${sudo[@]}" rm -f "$rcd"
    trap - EXIT
  fi
  ((rc == 0)) || die "apt-get install ${missing[*]} failed (exit $rc)"
fi

for b in redis-server redis-cli; do
  p=$(PATH=/usr/bin:/usr/sbin:/bin:/sbin command -v "$b") || die "$b not found after installing $REDIS_DEBIAN_PACKAGES"
  link_bin "$p" "$b"
done
v=$("$PORTICO_BIN/redis-server" --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
if [[ -z "$v" ]] || ! version_ge "$v" "$REDIS_MIN_MAJOR"; then die "redis-server is ${v:-of unknown version}, older than $REDIS_MIN_MAJOR"; fi
step "redis-server $v at $PORTICO_BIN/redis-server, redis-cli at $PORTICO_BIN/redis-cli"
