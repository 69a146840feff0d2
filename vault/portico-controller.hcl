# Least-privilege policy for the Portico controller (Vault and OpenBao).
# Paths assume the defaults: KV v2 mounted at `secret/` with Portico's secrets under the root key `portico/`,
# PKI mounted at `pki/` with the role `portico-gateway`. Change the paths when you change those settings.

# KV v2 secret source. Each poll LISTs the namespaces and the secrets in each (metadata), reads each secret's
# metadata (current_version) and reads the data only of secrets whose version moved.
path "secret/metadata/portico/*" {
  capabilities = ["list", "read"]
}
path "secret/data/portico/*" {
  capabilities = ["read"]
}

# PKI certificates for Gateway listeners (tls.options portico.dev/vault-pki-role: pki/portico-gateway).
# Issuing only: the controller cannot sign arbitrary CSRs, read the CA key or change the role.
# Which namespaces may name each role is portico.yaml's secrets.vault.pki.roles (without it: namespace default).
path "pki/issue/portico-gateway" {
  capabilities = ["update"]
}

# Its own token: look it up (TTL) and renew it. Vault's `default` policy grants these too; they are listed
# so the policy stands on its own when a role is created with token_no_default_policy.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
