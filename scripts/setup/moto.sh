#!/usr/bin/env bash
# moto from PyPI (`moto[server]`): a local stand-in for AWS APIs (EC2 DescribeInstances/RunInstances) that the
# EC2 discovery tests run against. Installed into a virtual environment at $PORTICO_CACHE/moto/<version>/;
# $PORTICO_CACHE/bin/moto_server links the venv's launcher (it names the venv's interpreter itself).
set -euo pipefail
COMPONENT=moto
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

dir=$PORTICO_CACHE/moto/$MOTO_VERSION
if ! skip_if_cached "$dir" moto_server; then
  pip_venv "$dir" "moto[server]==$MOTO_VERSION"
  mkdir -p "$dir/bin"
  ln -sfn "$dir/venv/bin/moto_server" "$dir/bin/moto_server"
  mark_installed "$dir"
  link_bin "$dir/bin/moto_server" moto_server
fi
out=$("$dir/venv/bin/python" -c 'import moto; print(moto.__version__)') || die "moto does not import: $out"
[[ "$out" == "$MOTO_VERSION" ]] || die "moto is $out, not $MOTO_VERSION"
step "moto $out at $PORTICO_BIN/moto_server -> $(readlink -f "$PORTICO_BIN/moto_server")"
