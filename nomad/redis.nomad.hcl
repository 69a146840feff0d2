# Redis for the rate-limit counters (nomad/README.md, "Redis"). One instance on a static port, registered in
# Consul as `portico-redis`. The gateways point at it with -var redis_url=redis://<node address>:6379; an external
# Redis (a managed one, a Sentinel-less primary) works the same way: set redis_url and skip this job.
#
# Persistence is off on purpose: the counters live for one rate-limit window (a second to a day), and after a
# restart the worst case is that each client gets one fresh window. A Redis that snapshots would only bring
# back counters about to expire, at the price of disk writes on the request path. Set persist = true to keep
# an append-only file on the allocation's sticky ephemeral disk anyway (e.g. for day-long windows).
#
#   nomad job run -var redis_bin=/usr/bin/redis-server nomad/redis.nomad.hcl

variable "redis_bin" {
  type        = string
  default     = "/usr/bin/redis-server"
  description = "redis-server on the client nodes (Debian/Ubuntu: apt-get install redis-server)."
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

variable "port" {
  type    = number
  default = 6379
}

variable "bind" {
  type        = string
  default     = "127.0.0.1"
  description = "Address Redis listens on: the node's private address when the gateways run on other nodes (and firewall it)."
}

variable "persist" {
  type        = bool
  default     = false
  description = "Keep an append-only file (fsync every second) in the allocation's sticky ephemeral disk."
}

variable "memory_mb" {
  type    = number
  default = 256
}

job "portico-redis" {
  datacenters = var.datacenters
  type        = "service"

  group "redis" {
    count = 1

    ephemeral_disk {
      sticky  = true
      migrate = true
      size    = 300
    }

    network {
      port "redis" {
        static = var.port
      }
    }

    service {
      name     = "portico-redis"
      provider = "consul"
      port     = "redis"

      check {
        type     = "tcp"
        interval = "5s"
        timeout  = "2s"
      }
    }

    task "redis" {
      driver = "raw_exec"

      config {
        command = var.redis_bin
        args = concat(
          ["--bind", var.bind, "--port", "${NOMAD_PORT_redis}", "--dir", "${NOMAD_ALLOC_DIR}/data",
            # Counters only: evict the keys closest to expiry rather than refuse writes when memory is full.
          "--maxmemory", "${floor(var.memory_mb * 0.8)}mb", "--maxmemory-policy", "volatile-ttl", "--save", ""],
          var.persist ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"],
        )
      }

      resources {
        cpu    = 200
        memory = var.memory_mb
      }
    }
  }
}
