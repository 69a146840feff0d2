# The Envoy gateway proxies of one Gateway resource, each allocation with its own ext-auth and rate-limit
# services (nomad/README.md is the guide). In every allocation:
#
#   extauth, ratelimit  prestart sidecars: they stream their configuration from the controllers over mutual TLS
#                       (identities service/extauth, service/ratelimit) and listen on Unix sockets in the shared
#                       allocation folder (alloc/extauth.sock, alloc/ratelimit.sock), where Envoy calls them.
#   envoy               started once both sockets exist; bootstrapped by `portico bootstrap` with its Gateway's
#                       identity (gateway/<ns>/<name>), the controllers from a file that a template keeps equal to
#                       the healthy `portico-xds` instances in Consul, and its client certificate through
#                       file-watched SDS: controllers that move and renewed certificates are followed without a
#                       restart. On stop it drains its listeners before exiting.
#
#   nomad job run -var artifact_url=… -var artifact_sha256=… -var gateway=default/gw -var 'listener_ports=[8080]' \
#     -var envoy_bin=/usr/local/bin/envoy nomad/portico-gateway.nomad.hcl

variable "artifact_url" {
  type        = string
  description = "URL of the release artifact portico-<version>-linux-x64.tar.gz (make dist)."
}

variable "artifact_sha256" {
  type        = string
  description = "Its SHA-256 (the .sha256 file beside it)."
}

variable "envoy_bin" {
  type        = string
  default     = "/usr/local/bin/envoy"
  description = "Envoy on every client node (the artifact does not carry it; Envoy's own releases do)."
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

variable "gateway" {
  type        = string
  default     = "default/gw"
  description = "The Gateway these proxies serve, <namespace>/<name>: their identity gateway/<namespace>/<name>."
}

variable "listener_ports" {
  type        = list(number)
  default     = [8080]
  description = "The ports of the Gateway's listeners, reserved on the node (one gateway allocation per node)."
}

variable "count" {
  type        = number
  default     = 1
  description = "Gateway allocations, one per node (the listener ports are static); two or more for rolling updates without downtime."
}

variable "redis_url" {
  type        = string
  default     = "redis://127.0.0.1:6379"
  description = "The rate-limit counters' Redis (nomad/redis.nomad.hcl, or an external one; rediss:// for TLS)."
}

variable "pki_mount" {
  type    = string
  default = "pki"
}

variable "xds_server_name" {
  type        = string
  default     = "portico-xds.service.consul"
  description = "The name in the controllers' serving certificate."
}

variable "trust_domain" {
  type    = string
  default = "portico.local"
}

variable "cert_ttl" {
  type        = string
  default     = "72h"
  description = "Lifetime of the client certificates; Nomad renews them before they expire."
}

variable "drain_seconds" {
  type        = number
  default     = 10
  description = "On stop: how long Envoy drains its listeners (closing keep-alive connections) before it exits."
}

variable "envoy_log_level" {
  type    = string
  default = "warning"
}

variable "log_level" {
  type    = string
  default = "info"
}

locals {
  artifact      = trimsuffix(basename(var.artifact_url), ".tar.gz")
  portico       = "${NOMAD_TASK_DIR}/${local.artifact}/bin/portico"
  gateway_slug  = replace(var.gateway, "/", "-")
  # The controllers, for the services' gRPC clients (grpc-js takes ipv4:a:p,b:p and fails over between them).
  controllers = "ipv4:{{ range $i, $s := service \"portico-xds\" }}{{ if $i }},{{ end }}{{ $s.Address }}:{{ $s.Port }}{{ end }}"
}

job "portico-gateway" {
  datacenters = var.datacenters
  type        = "service"

  # One allocation at a time, the next once the new one is healthy (Envoy ready) for 10 s; a failed update
  # rolls back to the last good version.
  update {
    max_parallel      = 1
    health_check      = "checks"
    min_healthy_time  = "10s"
    healthy_deadline  = "3m"
    progress_deadline = "5m"
    auto_revert       = true
  }

  group "gateway" {
    count = var.count

    # The listener ports are static: one allocation per node.
    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }

    network {
      port "admin" {}
      # Envoy's /ready and /stats/prometheus only (the admin itself stays on loopback).
      port "stats" {}

      dynamic "port" {
        for_each = var.listener_ports
        labels   = ["listener-${port.value}"]
        content {
          static = port.value
        }
      }
    }

    service {
      name     = "portico-gateway"
      provider = "consul"
      port     = "listener-${var.listener_ports[0]}"
      tags     = [local.gateway_slug]
      meta {
        gateway      = var.gateway
        metrics_port = "${NOMAD_PORT_stats}"
        metrics_path = "/stats/prometheus"
      }

      check {
        name     = "envoy ready"
        type     = "http"
        port     = "stats"
        path     = "/ready"
        interval = "3s"
        timeout  = "2s"
      }
    }

    # Deregistered from Consul first, then this long before Envoy is told to stop: load balancers following
    # Consul stop sending new connections meanwhile.
    shutdown_delay = "3s"

    task "extauth" {
      driver = "raw_exec"
      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      artifact {
        source = var.artifact_url
        options {
          checksum = "sha256:${var.artifact_sha256}"
        }
      }

      consul {}

      vault {
        role        = "portico-gateway-extauth"
        change_mode = "noop"
      }

      config {
        command = "/usr/bin/env"
        args    = ["bash", "${NOMAD_TASK_DIR}/run.sh"]
      }

      template {
        destination = "secrets/xds-client.pem"
        change_mode = "noop" # read at start: see nomad/README.md, "Certificates"
        perms       = "0600"
        data        = <<-EOT
          {{ with pkiCert "${var.pki_mount}/issue/portico-extauth" "uri_sans=spiffe://${var.trust_domain}/service/extauth" "ttl=${var.cert_ttl}" }}{{ .Key }}
          {{ .Cert }}{{ end }}
        EOT
      }

      template {
        destination = "secrets/ca.pem"
        change_mode = "noop"
        data        = "{{ with secret \"${var.pki_mount}/cert/ca\" }}{{ .Data.certificate }}{{ end }}"
      }

      template {
        destination = "local/run.sh"
        change_mode = "noop"
        data        = <<-EOT
          exec "${local.portico}" extauth --listen "unix:$NOMAD_ALLOC_DIR/extauth.sock" \
            --xds-address '${local.controllers}' --xds-tls-server-name '${var.xds_server_name}' \
            --xds-tls-ca "$NOMAD_SECRETS_DIR/ca.pem" --xds-tls-cert "$NOMAD_SECRETS_DIR/xds-client.pem" --xds-tls-key "$NOMAD_SECRETS_DIR/xds-client.pem" \
            --node-id "service/extauth/$NOMAD_ALLOC_ID" --log-level '${var.log_level}' --log-format json
        EOT
      }

      env {
        HOME = "${NOMAD_TASK_DIR}"
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }

    task "ratelimit" {
      driver = "raw_exec"
      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      artifact {
        source = var.artifact_url
        options {
          checksum = "sha256:${var.artifact_sha256}"
        }
      }

      consul {}

      vault {
        role        = "portico-gateway-ratelimit"
        change_mode = "noop"
      }

      config {
        command = "/usr/bin/env"
        args    = ["bash", "${NOMAD_TASK_DIR}/run.sh"]
      }

      template {
        destination = "secrets/xds-client.pem"
        change_mode = "noop"
        perms       = "0600"
        data        = <<-EOT
          {{ with pkiCert "${var.pki_mount}/issue/portico-ratelimit" "uri_sans=spiffe://${var.trust_domain}/service/ratelimit" "ttl=${var.cert_ttl}" }}{{ .Key }}
          {{ .Cert }}{{ end }}
        EOT
      }

      template {
        destination = "secrets/ca.pem"
        change_mode = "noop"
        data        = "{{ with secret \"${var.pki_mount}/cert/ca\" }}{{ .Data.certificate }}{{ end }}"
      }

      template {
        destination = "local/run.sh"
        change_mode = "noop"
        data        = <<-EOT
          exec "${local.portico}" ratelimit --listen "unix:$NOMAD_ALLOC_DIR/ratelimit.sock" --redis '${var.redis_url}' --admin-address off \
            --xds-address '${local.controllers}' --xds-tls-server-name '${var.xds_server_name}' \
            --xds-tls-ca "$NOMAD_SECRETS_DIR/ca.pem" --xds-tls-cert "$NOMAD_SECRETS_DIR/xds-client.pem" --xds-tls-key "$NOMAD_SECRETS_DIR/xds-client.pem" \
            --log-level '${var.log_level}' --log-format json
        EOT
      }

      env {
        HOME = "${NOMAD_TASK_DIR}"
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }

    task "envoy" {
      driver = "raw_exec"

      artifact {
        source = var.artifact_url
        options {
          checksum = "sha256:${var.artifact_sha256}"
        }
      }

      consul {}

      vault {
        role        = "portico-gateway-envoy"
        change_mode = "noop"
      }

      config {
        command = "/usr/bin/env"
        args    = ["bash", "${NOMAD_TASK_DIR}/run.sh"]
      }

      # Envoy's identity gateway/<ns>/<name>. No restart on renewal: Envoy reads it through file-watched SDS.
      template {
        destination = "secrets/xds-client.pem"
        change_mode = "noop"
        perms       = "0600"
        data        = <<-EOT
          {{ with pkiCert "${var.pki_mount}/issue/portico-gateway-${local.gateway_slug}" "uri_sans=spiffe://${var.trust_domain}/gateway/${var.gateway}" "ttl=${var.cert_ttl}" }}{{ .Key }}
          {{ .Cert }}{{ end }}
        EOT
      }

      template {
        destination = "secrets/ca.pem"
        change_mode = "noop"
        data        = "{{ with secret \"${var.pki_mount}/cert/ca\" }}{{ .Data.certificate }}{{ end }}"
      }

      # The controllers as an Envoy endpoints file, re-rendered as they come and go; Envoy re-reads it (no restart).
      template {
        destination = "local/xds/endpoints.json"
        change_mode = "noop"
        data        = <<-EOT
          {"resources": [{"@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", "cluster_name": "portico_xds",
            "endpoints": [{"lb_endpoints": [{{ range $i, $s := service "portico-xds" }}{{ if $i }},{{ end }}
              {"endpoint": {"address": {"socket_address": {"address": "{{ $s.Address }}", "port_value": {{ $s.Port }}}}}}{{ end }}]}]}]}
        EOT
      }

      template {
        destination = "local/run.sh"
        change_mode = "noop"
        data        = <<-EOT
          set -euo pipefail
          "${local.portico}" bootstrap --gateway '${var.gateway}' --node-id "${var.gateway}/$NOMAD_ALLOC_ID" \
            --xds-endpoints-file "$NOMAD_TASK_DIR/xds/endpoints.json" --xds-tls-server-name '${var.xds_server_name}' \
            --xds-tls-ca "$NOMAD_SECRETS_DIR/ca.pem" --xds-tls-cert "$NOMAD_SECRETS_DIR/xds-client.pem" --xds-tls-key "$NOMAD_SECRETS_DIR/xds-client.pem" \
            --xds-tls-sds-file "$NOMAD_SECRETS_DIR/xds-client-sds.json" \
            --admin-port "$NOMAD_PORT_admin" --stats-address "$NOMAD_ADDR_stats" > "$NOMAD_TASK_DIR/envoy.yaml"
          # The ext-auth and rate-limit filters call the sidecars as soon as Envoy serves: wait for their sockets.
          for s in extauth ratelimit; do
            for _ in $(seq 600); do [[ -S "$NOMAD_ALLOC_DIR/$s.sock" ]] && break; sleep 0.1; done
          done
          # The controllers name the sockets /proc/self/cwd/<service>.sock: Envoy's working folder is the allocation's.
          cd "$NOMAD_ALLOC_DIR"
          '${var.envoy_bin}' -c "$NOMAD_TASK_DIR/envoy.yaml" --disable-hot-restart --drain-time-s ${var.drain_seconds} \
            --log-level '${var.envoy_log_level}' &
          envoy=$!
          # Graceful stop: drain (keep-alive connections are closed as their requests end), then exit.
          drain() {
            curl -s -m 2 -X POST "http://127.0.0.1:$NOMAD_PORT_admin/drain_listeners?graceful" > /dev/null || true
            sleep ${var.drain_seconds}
            kill -TERM "$envoy" 2> /dev/null || true
          }
          trap drain TERM INT
          wait "$envoy" || wait "$envoy"
        EOT
      }

      env {
        HOME = "${NOMAD_TASK_DIR}"
      }

      # Longer than shutdown_delay + drain_seconds.
      kill_timeout = "${var.drain_seconds + 10}s"

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
