# An example upstream: Portico's echo server, registered in Consul as `echo` with a health check. A
# backendRef `{name: echo, port: 80}` (kind Service) then reaches every healthy instance.
#
#   nomad job run -var portico_dir=/opt/portico nomad/echo.nomad.hcl

variable "portico_dir" {
  type = string
}

variable "portico_cache" {
  type    = string
  default = "/opt/portico/cache"
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

variable "count" {
  type    = number
  default = 2
}

job "echo" {
  datacenters = var.datacenters

  group "echo" {
    count = var.count

    network {
      port "http" {}
    }

    service {
      name     = "echo"
      provider = "consul"
      port     = "http"

      check {
        type     = "http"
        path     = "/healthz"
        interval = "5s"
        timeout  = "2s"
      }
    }

    task "echo" {
      driver = "raw_exec"

      config {
        command = "${var.portico_dir}/bin/portico"
        args    = ["echo", "--listen", "${NOMAD_ADDR_http}", "--name", "${NOMAD_ALLOC_ID}"]
      }

      env {
        PORTICO_CACHE = var.portico_cache
        HOME          = "${NOMAD_TASK_DIR}"
      }

      resources {
        cpu    = 100
        memory = 128
      }
    }
  }
}
