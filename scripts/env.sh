# Source it (`. scripts/env.sh`): puts the pinned components scripts/setup.sh installed first on PATH.
# shellcheck shell=bash
PORTICO_CACHE=${PORTICO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portico}
export PORTICO_CACHE
case ":$PATH:" in
  *":$PORTICO_CACHE/bin:"*) ;;
  *) PATH=$PORTICO_CACHE/bin:$PATH ;;
esac
export PATH
