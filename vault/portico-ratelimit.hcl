# Least-privilege policy for the rate-limit service: the client certificate of service/ratelimit, nothing else.
path "pki/issue/portico-ratelimit" {
  capabilities = ["update"]
}
