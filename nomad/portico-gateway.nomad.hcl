# Envoy gateway proxies for one Gateway resource. Each renders its bootstrap with `portico bootstrap`,
# pointed at the controllers — by default every healthy `portico-xds` instance in Consul when the proxy
# starts (Envoy fails over between them) — then runs Envoy. The listener ports are those of the Gateway's
# listeners; they are reserved on the node.
#
#   nomad job run -var portico_dir=/opt/portico -var gateway=default/gw -var 'listener_ports=[8080]' \
#     nomad/portico-gateway.nomad.hcl

variable "portico_dir" {
  type        = string
  description = "Absolute path of the Portico checkout on every client node."
}

variable "portico_cache" {
  type    = string
  default = "/opt/portico/cache"
}

variable "envoy_bin" {
  type        = string
  default     = ""
  description = "Envoy binary; default: <portico_cache>/bin/envoy (installed by scripts/setup.sh envoy)."
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

variable "gateway" {
  type        = string
  default     = "default/gw"
  description = "The Gateway these proxies serve, <namespace>/<name>."
}

variable "listener_ports" {
  type    = list(number)
  default = [8080]
}

variable "xds_address" {
  type        = string
  default     = ""
  description = <<-EOT
    The controllers' ADS address(es), host:port[,host:port]. Default: the healthy `portico-xds` instances
    in Consul at start. Where nodes resolve Consul DNS and the controllers use a static xds port, a name
    such as portico-xds.service.consul:18000 follows controllers that move, without a restart.
  EOT
}

variable "count" {
  type    = number
  default = 1
}

job "portico-gateway" {
  datacenters = var.datacenters
  type        = "service"

  group "envoy" {
    count = var.count

    network {
      port "admin" {}

      dynamic "port" {
        for_each = var.listener_ports
        labels   = ["listener-${port.value}"]
        content {
          static = port.value
        }
      }
    }

    task "envoy" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/env"
        args    = ["bash", "${NOMAD_TASK_DIR}/run.sh"]
      }

      env {
        PORTICO_CACHE = var.portico_cache
        HOME          = "${NOMAD_TASK_DIR}"
      }

      # Not re-rendered into a restart when controllers come and go: a restart would drop the proxy's
      # connections, and Envoy already fails over between the controllers of its list by itself.
      template {
        destination = "local/run.sh"
        change_mode = "noop"
        data        = <<-EOT
          #!/usr/bin/env bash
          set -euo pipefail
          xds='${var.xds_address}'
          [[ -n "$xds" ]] || xds='{{ range $i, $s := service "portico-xds" }}{{ if $i }},{{ end }}{{ $s.Address }}:{{ $s.Port }}{{ end }}'
          "${var.portico_dir}/bin/portico" bootstrap --gateway '${var.gateway}' --xds-address "$xds" \
            --admin-port "$NOMAD_PORT_admin" --node-id "${var.gateway}/$NOMAD_ALLOC_ID" > "$NOMAD_TASK_DIR/envoy.yaml"
          exec "${var.envoy_bin != "" ? var.envoy_bin : "${var.portico_cache}/bin/envoy"}" -c "$NOMAD_TASK_DIR/envoy.yaml" \
            --disable-hot-restart --drain-time-s 5 --log-level warning
        EOT
      }

      kill_timeout = "10s"

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
