# A Serverless Containers namespace and one container per entry of var.services.
#
# Uses the provider's current (API v1) arguments: image, memory_limit_bytes, liveness_probe /
# startup_probe, https_connections_only, scaling_option and private_network_id. The deprecated
# registry_image, memory_limit, health_check, http_option, max_concurrency and deploy are not used.

locals {
  # Keys only: the names of secret variables are not secret, the values are.
  secret_keys = { for name, _ in var.services : name => nonsensitive(keys(lookup(var.secret_environment, name, {}))) }
}

resource "scaleway_container_namespace" "this" {
  name        = var.namespace_name
  description = var.description
  region      = var.region
  project_id  = var.project_id
  tags        = var.tags
}

resource "scaleway_container" "this" {
  for_each = var.services

  name         = each.key
  description  = each.value.description
  namespace_id = scaleway_container_namespace.this.id
  region       = var.region
  tags         = var.tags

  image   = each.value.image
  port    = each.value.port
  command = each.value.command
  args    = each.value.args

  cpu_limit          = each.value.cpu_limit
  memory_limit_bytes = each.value.memory_limit_bytes
  min_scale          = each.value.min_scale
  max_scale          = each.value.max_scale
  timeout            = each.value.timeout

  privacy                = each.value.privacy
  protocol               = each.value.protocol
  https_connections_only = each.value.https_only
  private_network_id     = each.value.private_network ? var.private_network_id : null

  environment_variables        = each.value.environment
  secret_environment_variables = lookup(var.secret_environment, each.key, {})

  scaling_option {
    concurrent_requests_threshold = each.value.concurrent_requests_threshold
  }

  liveness_probe {
    failure_threshold = each.value.liveness_probe.failure_threshold
    interval          = each.value.liveness_probe.interval
    timeout           = each.value.liveness_probe.timeout
    http {
      path = each.value.health_path
    }
  }

  startup_probe {
    failure_threshold = each.value.startup_probe.failure_threshold
    interval          = each.value.startup_probe.interval
    timeout           = each.value.startup_probe.timeout
    http {
      path = each.value.health_path
    }
  }

  lifecycle {
    precondition {
      condition     = !each.value.private_network || var.private_network_id != null
      error_message = "Service ${each.key} asks for the private network but private_network_id is null."
    }

    precondition {
      condition     = length(setintersection(toset(keys(each.value.environment)), toset(local.secret_keys[each.key]))) == 0
      error_message = "Service ${each.key} sets the same variable in environment and secret_environment."
    }
  }
}
