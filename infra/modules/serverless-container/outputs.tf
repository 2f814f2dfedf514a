output "namespace_id" {
  description = "ID of the Serverless Containers namespace."
  value       = scaleway_container_namespace.this.id
}

output "services" {
  description = "Contract read by the CLI: service name => { url (https), health_path, id }."
  value = {
    for name, c in scaleway_container.this : name => {
      url         = startswith(c.public_endpoint, "https://") ? c.public_endpoint : "https://${c.public_endpoint}"
      health_path = var.services[name].health_path
      id          = c.id
    }
  }
}

output "secret_environment_keys" {
  description = "Names (not values) of the secret environment variables set on each service."
  value       = local.secret_keys
}
