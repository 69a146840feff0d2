#!/usr/bin/env bash
# Installs every pinned component Portico's tests and quickstart need into $PORTICO_CACHE (default
# ~/.cache/portico), reusing what is already there: a warm run takes seconds.
#
#   scripts/setup.sh                  # everything: node envoy re2 redis consul openbao nomad moto
#   scripts/setup.sh envoy consul     # only these
#   scripts/setup.sh ratelimit-peer   # envoyproxy/ratelimit, for bench/ratelimit.ts only (never by default)
#   scripts/setup.sh vegeta           # the HTTP load generator of bench/extauth.ts only (never by default)
#
# Versions: scripts/versions.env. Then `. scripts/env.sh` puts $PORTICO_CACHE/bin first on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
all=(node envoy re2 redis consul openbao nomad moto)
known=("${all[@]}" ratelimit-peer vegeta)
if (($# == 0)); then set -- "${all[@]}"; fi
for c in "$@"; do
  case " ${known[*]} " in
    *" $c "*) ;;
    *)
      echo "scripts/setup.sh: unknown component '$c' (known: ${known[*]})" >&2
      exit 2
      ;;
  esac
done

started=$(date +%s)
times=()
for c in "$@"; do
  t0=$(date +%s)
  case "$c" in
    consul | openbao | nomad) cmd=("$here/setup/go-component.sh" "$c") ;;
    ratelimit-peer | vegeta) cmd=("$here/setup/go-tool.sh" "$c") ;;
    *) cmd=("$here/setup/$c.sh") ;;
  esac
  if ! "${cmd[@]}"; then
    echo "==> [setup] FAILED at '$c' after $(($(date +%s) - started)) s: see the lines above; fix it and re-run 'scripts/setup.sh $c' (finished components are kept)" >&2
    exit 1
  fi
  times+=("$c $(($(date +%s) - t0))s")
done
echo "==> [setup] done in $(($(date +%s) - started)) s (${times[*]}); components are in ${PORTICO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portico}/bin"
