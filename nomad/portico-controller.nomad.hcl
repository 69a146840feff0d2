# Portico controllers. Every instance serves xDS; the one holding the Consul lock writes statuses, and
# another takes over when it dies (see "High availability" in the README). Resources come from Consul KV,
# endpoints from the Consul catalog. Each instance registers as the Consul service `portico-xds`, health
# checked on its admin /healthz, which is how the gateway job finds them.
#
#   nomad job run -var portico_dir=/opt/portico nomad/portico-controller.nomad.hcl

variable "portico_dir" {
  type        = string
  description = "Absolute path of the Portico checkout on every client node (bin/portico lives there)."
}

variable "portico_cache" {
  type        = string
  default     = "/opt/portico/cache"
  description = "Where scripts/setup.sh installed Node 24 and the other components (PORTICO_CACHE)."
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

variable "count" {
  type        = number
  default     = 2
  description = "Controllers to run; two or more for high availability."
}

variable "distinct_hosts" {
  type        = bool
  default     = true
  description = "One controller per node, so that losing a node leaves the others serving (false for a one-node test)."
}

variable "consul_address" {
  type    = string
  default = "http://127.0.0.1:8500"
}

variable "kv_root" {
  type        = string
  default     = "portico"
  description = "Consul KV root of the resources (<root>/<group>/<version>/<Kind>/<namespace>/<name>)."
}

variable "log_level" {
  type    = string
  default = "info"
}

job "portico-controller" {
  datacenters = var.datacenters
  type        = "service"

  group "controller" {
    count = var.count

    dynamic "constraint" {
      for_each = var.distinct_hosts ? [1] : []
      content {
        operator = "distinct_hosts"
        value    = "true"
      }
    }

    network {
      port "xds" {}
      port "admin" {}
    }

    service {
      name     = "portico-xds"
      provider = "consul"
      port     = "xds"

      check {
        type     = "http"
        port     = "admin"
        path     = "/healthz"
        interval = "5s"
        timeout  = "2s"
      }
    }

    restart {
      attempts = 10
      interval = "5m"
      delay    = "5s"
      mode     = "delay"
    }

    task "controller" {
      driver = "raw_exec"

      config {
        command = "${var.portico_dir}/bin/portico"
        args = [
          "controller",
          "--consul-kv-root", var.kv_root,
          "--consul-address", var.consul_address,
          "--discovery", "consul",
          "--xds-address", "${NOMAD_ADDR_xds}",
          "--admin-address", "${NOMAD_ADDR_admin}",
          # xDS and admin listen on the node address (the proxies and the health check must reach them) in
          # plaintext, with no client identity: every proxy on the network may claim any Gateway and read its
          # TLS keys. These two flags say the network is trusted; issue 13 replaces them with mutual TLS from
          # Vault PKI (docs/security.md, "Mutual TLS on Nomad", shows how to run that way today).
          "--xds-allow-insecure",
          "--admin-allow-insecure",
          "--log-level", var.log_level,
          "--log-format", "json",
        ]
      }

      env {
        PORTICO_CACHE = var.portico_cache
        HOME          = "${NOMAD_TASK_DIR}"
      }

      # Lets the lock holder release its Consul session, so another controller takes over at once.
      kill_timeout = "10s"

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
