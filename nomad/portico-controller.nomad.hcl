# Portico controllers (nomad/README.md is the guide). Every instance serves xDS over mutual TLS; the one holding
# the Consul lock writes statuses, another takes over when it stops. Resources come from Consul KV, endpoints from
# the Consul catalog, secrets and listener certificates from Vault. Each instance registers as the Consul service
# `portico-xds`, health checked on its admin /healthz; the gateway job follows the healthy instances.
#
# Identities, all from Nomad's workload identities (nomad/setup.sh sets the integrations up once):
#   Consul: the task's token (auth method nomad-workloads, role portico-controller-controller → policy
#           consul/portico-controller.hcl), in secrets/consul_token.
#   Vault:  the task's token (JWT role portico-controller → policy vault/portico-controller.hcl), in
#           secrets/vault_token; with it the templates below issue the xDS serving certificate from PKI, renewed
#           before it expires and re-read by the controller without a restart.
#
#   nomad job run -var artifact_url=https://releases.example.com/portico-0.1.0-linux-x64.tar.gz \
#     -var artifact_sha256=<sha256> nomad/portico-controller.nomad.hcl

variable "artifact_url" {
  type        = string
  description = "URL of the release artifact portico-<version>-linux-x64.tar.gz (make dist) that Nomad downloads."
}

variable "artifact_sha256" {
  type        = string
  description = "Its SHA-256 (the .sha256 file beside it): Nomad refuses an artifact that does not match."
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
  description = "At most one controller per node, so that losing a node leaves the others serving (false on a one-node dev cluster)."
}

variable "consul_address" {
  type        = string
  default     = "http://127.0.0.1:8500"
  description = "The Consul agent's HTTP API, as the task reaches it."
}

variable "vault_address" {
  type        = string
  default     = "http://127.0.0.1:8200"
  description = "Vault (or OpenBao) API, for the controller's own Vault use (KV secrets, listener certificates)."
}

variable "kv_root" {
  type        = string
  default     = "portico"
  description = "Consul KV root of the resources (<root>/<group>/<version>/<Kind>/<namespace>/<name>)."
}

variable "pki_mount" {
  type        = string
  default     = "pki"
  description = "Vault PKI mount issuing the xDS certificates (roles portico-xds, portico-gateway-<ns>-<name>, portico-extauth, portico-ratelimit)."
}

variable "xds_server_name" {
  type        = string
  default     = "portico-xds.service.consul"
  description = "DNS name in the controllers' serving certificate; clients check it (--xds-tls-server-name)."
}

variable "trust_domain" {
  type        = string
  default     = "portico.local"
  description = "SPIFFE trust domain of the clients' certificate identities (spiffe://<domain>/gateway/<ns>/<name>)."
}

variable "cert_ttl" {
  type        = string
  default     = "72h"
  description = "Lifetime of the serving certificate; Nomad renews it before it expires (at most the PKI role's max_ttl)."
}

variable "log_level" {
  type    = string
  default = "info"
}

locals {
  # The artifact unpacks into portico-<version>-linux-x64/.
  portico = "${NOMAD_TASK_DIR}/${trimsuffix(basename(var.artifact_url), ".tar.gz")}/bin/portico"
  # Where each gateway allocation's ext-auth and rate-limit tasks listen: their shared allocation folder, the
  # gateway job's Envoy working directory (/proc/self/cwd is the folder of whoever connects: Envoy).
  extauth_socket   = "unix:/proc/self/cwd/extauth.sock"
  ratelimit_socket = "unix:/proc/self/cwd/ratelimit.sock"
}

job "portico-controller" {
  datacenters = var.datacenters
  type        = "service"

  # One controller at a time, the next only once the new one is healthy in Consul; a failed update rolls back.
  update {
    max_parallel      = 1
    health_check      = "checks"
    min_healthy_time  = "10s"
    healthy_deadline  = "3m"
    progress_deadline = "5m"
    auto_revert       = true
  }

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
        type            = "http"
        protocol        = "https"
        tls_skip_verify = true # /healthz only; the certificate is for the xDS clients
        port            = "admin"
        path            = "/healthz"
        interval        = "5s"
        timeout         = "2s"
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

      artifact {
        source = var.artifact_url
        options {
          checksum = "sha256:${var.artifact_sha256}"
        }
      }

      consul {}

      vault {
        role = "portico-controller"
        # The controller re-reads secrets/vault_token when the token stops working: no restart.
        change_mode = "noop"
      }

      config {
        command = local.portico
        args = [
          "controller",
          "--consul-kv-root", var.kv_root,
          "--consul-address", var.consul_address,
          "--consul-token-file", "${NOMAD_SECRETS_DIR}/consul_token",
          "--discovery", "consul",
          "--vault-address", var.vault_address,
          "--vault-token-file", "${NOMAD_SECRETS_DIR}/vault_token",
          "--xds-address", "${NOMAD_ADDR_xds}",
          "--xds-tls-cert", "${NOMAD_SECRETS_DIR}/xds.pem",
          "--xds-tls-key", "${NOMAD_SECRETS_DIR}/xds.pem",
          "--xds-tls-ca", "${NOMAD_SECRETS_DIR}/ca.pem",
          "--xds-trust-domain", var.trust_domain,
          "--admin-address", "${NOMAD_ADDR_admin}",
          "--admin-tls-cert", "${NOMAD_SECRETS_DIR}/xds.pem",
          "--admin-tls-key", "${NOMAD_SECRETS_DIR}/xds.pem",
          "--admin-token-file", "${NOMAD_SECRETS_DIR}/admin-token",
          "--ext-auth-address", local.extauth_socket,
          "--ratelimit-address", local.ratelimit_socket,
          "--log-level", var.log_level,
          "--log-format", "json",
        ]
      }

      # The serving certificate, its key and chain in one file, so that a renewal replaces them together (one
      # atomic rename). No restart: the controller re-reads the files when they change.
      template {
        destination = "secrets/xds.pem"
        change_mode = "noop"
        perms       = "0600"
        data        = <<-EOT
          {{ with pkiCert "${var.pki_mount}/issue/portico-xds" "common_name=${var.xds_server_name}" "ttl=${var.cert_ttl}" }}{{ .Key }}
          {{ .Cert }}
          {{ .CA }}{{ end }}
        EOT
      }

      # The CA that signs the clients' certificates (Envoys, ext-auth, rate limit).
      template {
        destination = "secrets/ca.pem"
        change_mode = "noop"
        data        = "{{ with secret \"${var.pki_mount}/cert/ca\" }}{{ .Data.certificate }}{{ end }}"
      }

      # The admin's bearer token for /debug/* and /metrics (nomad/setup.sh puts it in this Nomad Variable).
      template {
        destination = "secrets/admin-token"
        change_mode = "noop"
        perms       = "0600"
        data        = "{{ with nomadVar \"nomad/jobs/portico-controller\" }}{{ .admin_token }}{{ end }}"
      }

      env {
        HOME = "${NOMAD_TASK_DIR}"
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
