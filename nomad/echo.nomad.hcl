# An example upstream: Portico's echo server, registered in Consul as `echo` with a health check. A
# backendRef `{name: echo, port: 80}` (kind Service) then reaches every healthy instance.
#
#   nomad job run -var artifact_url=… -var artifact_sha256=… nomad/echo.nomad.hcl

variable "artifact_url" {
  type        = string
  description = "URL of the release artifact portico-<version>-linux-x64.tar.gz (make dist)."
}

variable "artifact_sha256" {
  type = string
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

      artifact {
        source = var.artifact_url
        options {
          checksum = "sha256:${var.artifact_sha256}"
        }
      }

      config {
        command = "${NOMAD_TASK_DIR}/${trimsuffix(basename(var.artifact_url), ".tar.gz")}/bin/portico"
        args    = ["echo", "--listen", "${NOMAD_ADDR_http}", "--name", "${NOMAD_ALLOC_ID}"]
      }

      env {
        HOME = "${NOMAD_TASK_DIR}"
      }

      resources {
        cpu    = 100
        memory = 128
      }
    }
  }
}
