output "runner" {
  description = "What the CLI reads the run with: id, container id and URL (https); it calls it with its own API key."
  value = {
    id           = var.migration.id
    container_id = scaleway_container.runner.id
    url          = can(regex("^https?://", scaleway_container.runner.public_endpoint)) ? scaleway_container.runner.public_endpoint : "https://${scaleway_container.runner.public_endpoint}"
  }
}

output "container" {
  description = "Effective non-secret settings of the runner container (for tests)."
  value = {
    name               = scaleway_container.runner.name
    image              = scaleway_container.runner.image
    command            = scaleway_container.runner.command
    args               = scaleway_container.runner.args
    privacy            = scaleway_container.runner.privacy
    private_network_id = scaleway_container.runner.private_network_id
    min_scale          = scaleway_container.runner.min_scale
    max_scale          = scaleway_container.runner.max_scale
    environment        = scaleway_container.runner.environment_variables
  }
}

output "secret_environment_keys" {
  description = "Names (not values) of the runner's secret environment variables, as a map name => true."
  value       = { for k in nonsensitive(keys(var.secret_environment)) : k => true }
}
