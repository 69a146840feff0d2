# Least-privilege ACL policy for a Portico controller (defaults: rootKey "portico", statusPrefix
# "portico-status"; change the prefixes here if portico.yaml changes them). Create it and a token with:
#   consul acl policy create -name portico-controller -rules @consul/portico-controller.hcl
#   consul acl token create -description "portico controller" -policy-name portico-controller

# Resources: recursive blocking reads of everything under the root key. Read only: Portico never writes there.
key_prefix "portico/" {
  policy = "read"
}

# Statuses, and the leader-election lock (portico-status/.leader): only the leader writes, but any
# controller may become the leader.
key_prefix "portico-status/" {
  policy = "write"
}

# Leader election: each controller creates and renews a session (bound to its agent's node).
session_prefix "" {
  policy = "write"
}

# Endpoint discovery from the Consul catalog (the `discovery.consul` block): read services and the
# nodes they run on. Not needed when discovery is off.
service_prefix "" {
  policy = "read"
}
node_prefix "" {
  policy = "read"
}

# Only for Upstreams naming `dataCenters`: the agent's own datacenter (/v1/agent/self), to tell which
# instances are in another one and reached at their wan tagged addresses. Without it they are reached at
# their LAN addresses, and the log says so once.
agent_prefix "" {
  policy = "read"
}
