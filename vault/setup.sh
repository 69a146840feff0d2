#!/usr/bin/env bash
# Prepares a Vault or OpenBao server (a dev server, say) for Portico: KV v2 at secret/, PKI at pki/ with a CA and the role
# portico-gateway, the portico-controller policy, and an AppRole login for the controller.
#
#   VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=<root token> vault/setup.sh OUT_DIR
#
# Writes into OUT_DIR: role-id and secret-id (the AppRole login; mode 600) and ca.crt (the PKI CA, for
# clients). Runs again safely on a set-up server.
set -euo pipefail

out=${1:?usage: vault/setup.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
cli=${VAULT_CLI:-$(command -v bao || command -v vault || true)}
[ -n "$cli" ] || { echo "vault/setup.sh: neither bao nor vault is on PATH (scripts/setup.sh openbao builds bao)" >&2; exit 1; }
: "${VAULT_ADDR:?set VAULT_ADDR}" "${VAULT_TOKEN:?set VAULT_TOKEN (a root or admin token)}"
export BAO_ADDR="$VAULT_ADDR" BAO_TOKEN="$VAULT_TOKEN"
mkdir -p "$out"

# Not `| grep -q`: grep exits at the first match and pipefail would count the CLI's SIGPIPE as a failure.
mounted() { [[ $("$cli" secrets list -format=json) == *"\"$1/\""* ]]; }

# KV v2 (a dev server mounts it at secret/ already).
mounted secret || "$cli" secrets enable -path=secret -version=2 kv >/dev/null

# PKI: a root CA and a role for gateway certificates (use an intermediate CA in production).
if ! mounted pki; then
  "$cli" secrets enable -path=pki pki >/dev/null
  "$cli" secrets tune -max-lease-ttl=87600h pki >/dev/null
  "$cli" write -field=certificate pki/root/generate/internal common_name="Portico dev CA" ttl=87600h >/dev/null
fi
"$cli" read -field=certificate pki/cert/ca > "$out/ca.crt"
# Short TTLs are allowed (tests renew 30 s certificates); not_before_duration keeps clock skew harmless.
"$cli" write pki/roles/portico-gateway allow_any_name=true enforce_hostnames=true allow_ip_sans=true \
  key_type=ec key_bits=256 max_ttl=72h not_before_duration=30s no_store=true >/dev/null

# The controller's policy and its AppRole login.
"$cli" policy write portico-controller "$here/portico-controller.hcl" >/dev/null
[[ $("$cli" auth list -format=json) == *'"approle/"'* ]] || "$cli" auth enable approle >/dev/null
"$cli" write auth/approle/role/portico-controller token_policies=portico-controller token_ttl=1h token_max_ttl=24h >/dev/null
(umask 077
  "$cli" read -field=role_id auth/approle/role/portico-controller/role-id > "$out/role-id"
  "$cli" write -f -field=secret_id auth/approle/role/portico-controller/secret-id > "$out/secret-id")
echo "vault/setup.sh: KV v2 at secret/, PKI role pki/portico-gateway, AppRole portico-controller; files in $out"
