# Outputs read by the evalap-infra CLI (`tofu output -json`), passed through from the platform
# module under the same names and types. Documented in infra/README.md.

output "environment" {
  description = "Environment name."
  value       = module.platform.environment
}

output "services" {
  description = "Health-check contract: service name => { url, health_path, id }."
  value       = module.platform.services
}

output "container_namespace_id" {
  description = "ID of the Serverless Containers namespace."
  value       = module.platform.container_namespace_id
}

output "database" {
  description = "Database identifiers (no credentials). Credentials are in Secret Manager: see secret_ids."
  value       = module.platform.database
}

output "secret_ids" {
  description = "Secret Manager IDs keyed by environment variable name: the app secrets, POSTGRES_URL, DB_APP_CREDENTIALS, DB_ADMIN_PASSWORD."
  value       = module.platform.secret_ids
}

output "secret_path" {
  description = "Secret Manager path of the environment."
  value       = module.platform.secret_path
}

output "secret_revisions" {
  description = "Secret Manager revision the containers' secret environment was built from, keyed by environment variable name: the app secrets, POSTGRES_URL and DB_APP_CREDENTIALS."
  value       = module.platform.secret_revisions
}

output "project_id" {
  description = "The environment's Scaleway project."
  value       = module.platform.project_id
}

output "state_bucket" {
  description = "Bucket holding this environment's state."
  value       = module.platform.state_bucket
}

output "registry_endpoint" {
  description = "Shared registry endpoint images are pushed to and promoted from."
  value       = module.platform.registry_endpoint
}

output "monitoring" {
  description = "Cockpit links: the project's alert manager and Grafana."
  value       = module.platform.monitoring
}

output "network" {
  description = "VPC and private network IDs."
  value       = module.platform.network
}

output "app_secrets" {
  description = "The application secrets' IDs keyed by environment variable name, and their path (written even by an apply limited to module.platform.module.secrets)."
  value       = module.platform.app_secrets
}

output "migration_runner" {
  description = "The migration runner while evalap-infra migrate runs one (null otherwise): { id, container_id, url }."
  value       = module.platform.migration_runner
}
