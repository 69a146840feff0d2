# Least-privilege policy for the ext-auth service: the client certificate of service/extauth, nothing else.
path "pki/issue/portico-extauth" {
  capabilities = ["update"]
}
