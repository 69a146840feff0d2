# Least-privilege ACL policy for the tasks of a gateway allocation (Envoy, ext-auth, rate limit), whose Nomad
# templates follow the healthy controllers (`service "portico-xds"`). Read only; nothing else in Consul.
# nomad/setup.sh binds it to their workload identities (roles portico-gateway-envoy, -extauth, -ratelimit).
service "portico-xds" {
  policy = "read"
}
# A health query returns each instance's node (its address).
node_prefix "" {
  policy = "read"
}
