# Least-privilege policy for the Envoy of one Gateway: it may issue only the client certificate of its own
# identity, spiffe://<trust domain>/gateway/<namespace>/<name> (the PKI role portico-gateway-<namespace>-<name>
# allows that one URI SAN and nothing else). nomad/setup.sh writes one policy per Gateway, GATEWAY_SLUG replaced
# by <namespace>-<name>.
path "pki/issue/portico-gateway-GATEWAY_SLUG" {
  capabilities = ["update"]
}
