#!/usr/bin/env bash
# One-time set-up of the Nomad–Consul and Nomad–Vault integrations for Portico's jobs (nomad/README.md). Runs
# again safely. Needs the consul, bao (or vault) and nomad CLIs, and:
#
#   NOMAD_ADDR         Nomad's API; Consul and Vault fetch Nomad's workload-identity keys from
#                      $NOMAD_ADDR/.well-known/jwks.json (JWKS_URL overrides, e.g. behind a load balancer)
#   CONSUL_HTTP_ADDR   CONSUL_HTTP_TOKEN: a token that may write ACLs (the management token at set-up time)
#   VAULT_ADDR         VAULT_TOKEN: a root or admin token
#   GATEWAY            the Gateway the portico-gateway job serves, <namespace>/<name> (default default/gw)
#   TRUST_DOMAIN       default portico.local;  XDS_SERVER_NAME  default portico-xds.service.consul
#
#   nomad/setup.sh
#
# Vault:  vault/setup.sh (KV v2 at secret/, PKI at pki/ with the listener-certificate role portico-gateway), then
#         the PKI roles of the xDS identities (portico-xds: the controllers' serving certificate;
#         portico-gateway-<ns>-<name>, portico-extauth, portico-ratelimit: one client identity each), a policy
#         per task (vault/*.hcl) and the JWT auth method jwt-nomad with a role per task, bound to its job and task.
# Consul: the JWT auth method nomad-workloads, binding rules (a service's identity registers that service; a
#         task's identity gets the role <job>-<task>), and the roles of the controller and gateway tasks with
#         their policies (consul/*.hcl).
# Nomad:  the controllers' admin token in the Nomad Variable nomad/jobs/portico-controller.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
: "${NOMAD_ADDR:?set NOMAD_ADDR}" "${CONSUL_HTTP_ADDR:?set CONSUL_HTTP_ADDR}" "${CONSUL_HTTP_TOKEN:?set CONSUL_HTTP_TOKEN}"
: "${VAULT_ADDR:?set VAULT_ADDR}" "${VAULT_TOKEN:?set VAULT_TOKEN}"
gateway=${GATEWAY:-default/gw}
[[ "$gateway" =~ ^[a-z0-9.-]+/[a-z0-9.-]+$ ]] || { echo "nomad/setup.sh: GATEWAY must be <namespace>/<name>, got '$gateway'" >&2; exit 1; }
slug=${gateway/\//-}
td=${TRUST_DOMAIN:-portico.local}
server_name=${XDS_SERVER_NAME:-portico-xds.service.consul}
jwks=${JWKS_URL:-${NOMAD_ADDR%/}/.well-known/jwks.json}
bao=${VAULT_CLI:-$(command -v bao || command -v vault || true)}
[ -n "$bao" ] || { echo "nomad/setup.sh: neither bao nor vault is on PATH" >&2; exit 1; }
export BAO_ADDR="$VAULT_ADDR" BAO_TOKEN="$VAULT_TOKEN"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- Vault -------------------------------------------------------------------------------------------------
VAULT_CLI=$bao "$here/vault/setup.sh" "$work" > /dev/null
# Certificates for the xDS connections only: the server role issues that one name, each client role one URI SAN.
common=(key_type=ec key_bits=256 max_ttl=72h not_before_duration=30s no_store=true)
"$bao" write pki/roles/portico-xds allowed_domains="$server_name" allow_bare_domains=true allow_subdomains=false \
  allow_localhost=false server_flag=true client_flag=false "${common[@]}" > /dev/null
client_role() { # <role> <identity>
  "$bao" write "pki/roles/$1" allowed_uri_sans="spiffe://$td/$2" require_cn=false allow_any_name=true \
    enforce_hostnames=false allow_ip_sans=false server_flag=false client_flag=true "${common[@]}" > /dev/null
}
client_role "portico-gateway-$slug" "gateway/$gateway"
client_role portico-extauth service/extauth
client_role portico-ratelimit service/ratelimit

"$bao" policy write portico-controller "$here/vault/portico-controller.hcl" > /dev/null
sed "s/GATEWAY_SLUG/$slug/" "$here/vault/portico-gateway-envoy.hcl" | "$bao" policy write "portico-gateway-$slug" - > /dev/null
"$bao" policy write portico-extauth "$here/vault/portico-extauth.hcl" > /dev/null
"$bao" policy write portico-ratelimit "$here/vault/portico-ratelimit.hcl" > /dev/null

# Nomad's workload identities log in with their JWT (audience vault.io, Nomad's default for Vault).
[[ $("$bao" auth list -format=json) == *'"jwt-nomad/"'* ]] || "$bao" auth enable -path=jwt-nomad jwt > /dev/null
"$bao" write auth/jwt-nomad/config jwks_url="$jwks" jwt_supported_algs=RS256,EdDSA > /dev/null
vault_role() { # <role> <job> <task> <policy>
  "$bao" write "auth/jwt-nomad/role/$1" - > /dev/null <<JSON
{"role_type": "jwt", "bound_audiences": ["vault.io"], "user_claim": "/nomad_job_id", "user_claim_json_pointer": true,
 "bound_claims": {"nomad_namespace": "default", "nomad_job_id": "$2", "nomad_task": "$3"},
 "claim_mappings": {"nomad_namespace": "nomad_namespace", "nomad_job_id": "nomad_job_id", "nomad_task": "nomad_task"},
 "token_type": "service", "token_policies": ["$4"], "token_period": "30m", "token_explicit_max_ttl": 0}
JSON
}
vault_role portico-controller portico-controller controller portico-controller
vault_role portico-gateway-envoy portico-gateway envoy "portico-gateway-$slug"
vault_role portico-gateway-extauth portico-gateway extauth portico-extauth
vault_role portico-gateway-ratelimit portico-gateway ratelimit portico-ratelimit

# --- Consul ------------------------------------------------------------------------------------------------
policy() { # <name> <rules file>
  if consul acl policy read -name "$1" > /dev/null 2>&1; then consul acl policy update -name "$1" -rules "@$2" > /dev/null
  else consul acl policy create -name "$1" -rules "@$2" > /dev/null; fi
}
role() { # <name> <policy>
  consul acl role read -name "$1" > /dev/null 2>&1 || consul acl role create -name "$1" -policy-name "$2" > /dev/null
}
policy portico-controller "$here/consul/portico-controller.hcl"
policy portico-gateway "$here/consul/portico-gateway.hcl"
role portico-controller-controller portico-controller
for task in envoy extauth ratelimit; do role "portico-gateway-$task" portico-gateway; done

cat > "$work/auth.json" <<JSON
{"JWKSURL": "$jwks", "JWTSupportedAlgs": ["RS256"], "BoundAudiences": ["consul.io"],
 "ClaimMappings": {"nomad_namespace": "nomad_namespace", "nomad_job_id": "nomad_job_id", "nomad_task": "nomad_task", "nomad_service": "nomad_service"}}
JSON
if consul acl auth-method read -name nomad-workloads > /dev/null 2>&1; then
  consul acl auth-method update -name nomad-workloads -config "@$work/auth.json" > /dev/null
else
  consul acl auth-method create -name nomad-workloads -type jwt -max-token-ttl 30m -token-locality local -config "@$work/auth.json" > /dev/null
fi
if [[ $(consul acl binding-rule list -method nomad-workloads -format json) != *'"BindType": "service"'* ]]; then
  consul acl binding-rule create -method nomad-workloads -bind-type service -bind-name '${value.nomad_service}' \
    -selector '"nomad_service" in value' -description 'a Nomad service registers itself' > /dev/null
  # A task gets the role named after its job and task (none exists for most: those tasks get no Consul token).
  consul acl binding-rule create -method nomad-workloads -bind-type role -bind-name '${value.nomad_job_id}-${value.nomad_task}' \
    -selector '"nomad_service" not in value' -description 'a Nomad task gets the role <job>-<task>' > /dev/null
fi

# --- Nomad -------------------------------------------------------------------------------------------------
# Only the controllers' tasks read it (a job's tasks may read nomad/jobs/<job>).
nomad var get nomad/jobs/portico-controller > /dev/null 2>&1 ||
  nomad var put nomad/jobs/portico-controller admin_token="$(openssl rand -hex 32)" > /dev/null
echo "nomad/setup.sh: Vault JWT auth jwt-nomad, Consul auth method nomad-workloads, PKI roles for gateway/$gateway, service/extauth, service/ratelimit and portico-xds"
