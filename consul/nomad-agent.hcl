# The Nomad agents' own Consul token (the `token` of their `consul` block), when jobs use Nomad's Consul workload
# identities: services and templates then act with each workload's token, and the agent only reads its own
# Consul agent and the catalog (fingerprinting, checks). See Nomad's "Consul ACL" integration guide for more.
agent_prefix "" {
  policy = "read"
}
node_prefix "" {
  policy = "read"
}
service_prefix "" {
  policy = "read"
}
