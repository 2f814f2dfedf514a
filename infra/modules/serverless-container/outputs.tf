output "namespace_id" {
  description = "ID of the Serverless Containers namespace."
  value       = scaleway_container_namespace.this.id
}

output "services" {
  description = "Contract read by the CLI: service name => { url (https), health_path, id, expect = { json, contains } }."
  value = {
    for name, c in scaleway_container.this : name => {
      # Scaleway answers a bare host name; an endpoint that names its scheme (the local sandbox answers
      # http://127.0.0.1:<port>) is kept as it is.
      url         = can(regex("^https?://", c.public_endpoint)) ? c.public_endpoint : "https://${c.public_endpoint}"
      health_path = var.services[name].health_path
      id          = c.id
      expect      = var.services[name].expect
    }
  }
}

output "secret_environment_keys" {
  description = "Names (not values) of the secret environment variables set on each service."
  value       = local.secret_keys
}

output "containers" {
  description = "Effective non-secret settings of each container (for the CLI's guards and for tests). Secret values are never included, only their names."
  value = {
    for name, c in scaleway_container.this : name => {
      image                   = c.image
      port                    = c.port
      command                 = c.command
      args                    = c.args
      cpu_limit               = c.cpu_limit
      memory_limit_bytes      = c.memory_limit_bytes
      min_scale               = c.min_scale
      max_scale               = c.max_scale
      privacy                 = c.privacy
      private_network_id      = c.private_network_id
      environment             = c.environment_variables
      secret_environment_keys = local.secret_keys[name]
      liveness_path           = c.liveness_probe[0].http[0].path
      startup_path            = c.startup_probe[0].http[0].path
    }
  }
}
