# Exactly the outputs of the roots (infra/staging, infra/production pass them through under the
# same names): the contract the evalap-infra CLI reads with `tofu output -json`. Documented in
# infra/README.md.

output "environment" {
  description = "Environment name."
  value       = local.environment
}

output "services" {
  description = "Health-check contract: service name => { url, health_path, id }."
  value       = module.containers.services
}

output "container_namespace_id" {
  description = "ID of the Serverless Containers namespace."
  value       = module.containers.namespace_id
}

output "database" {
  description = "Database identifiers (no credentials). Credentials are in Secret Manager: see secret_ids."
  value = {
    instance_id     = module.database.instance_id
    database_name   = module.database.database_name
    app_users       = module.database.app_user_names
    host            = module.database.endpoint.host
    port            = module.database.endpoint.port
    private         = module.database.endpoint.private
    public_endpoint = module.database.public_endpoint_enabled
  }
}

output "secret_ids" {
  description = "Secret Manager IDs keyed by environment variable name: the app secrets, POSTGRES_URL, DB_APP_CREDENTIALS, DB_ADMIN_PASSWORD."
  value = merge(module.secrets.secret_ids, {
    POSTGRES_URL       = module.database.secret_ids["postgres-url"]
    DB_APP_CREDENTIALS = module.database.secret_ids["db-app-credentials"]
    DB_ADMIN_PASSWORD  = module.database.secret_ids["db-admin-password"]
  })
}

output "secret_path" {
  description = "Secret Manager path of the environment."
  value       = local.secret_path
}

# The revision each secret environment variable of the containers was read from at the last apply.
# The app secrets are read at revision "latest_enabled", which the data source's `revision` keeps;
# the number read is the last part of its id, "<region>/<secret id>/<revision>"
# (internal/services/secret/version_data_source.go). `secrets list` compares it with the latest
# enabled version to say whether the running containers use it. Revisions are not secret.
output "secret_revisions" {
  description = "Secret Manager revision the containers' secret environment was built from, keyed by environment variable name: the app secrets, POSTGRES_URL and DB_APP_CREDENTIALS (the credentials version POSTGRES_URL was derived from)."
  value = merge(
    { for k, v in data.scaleway_secret_version.app : k => tonumber(split("/", v.id)[2]) },
    {
      POSTGRES_URL       = tonumber(data.scaleway_secret_version.postgres_url.revision)
      DB_APP_CREDENTIALS = tonumber(module.database.secret_revisions["db-app-credentials"])
    },
  )
}

output "project_id" {
  description = "The environment's Scaleway project (checked against project_name)."
  value       = data.scaleway_account_project.current.project_id
}

output "state_bucket" {
  description = "Bucket holding this environment's state."
  value       = var.state_bucket
}

output "registry_endpoint" {
  description = "Shared registry endpoint images are pushed to and promoted from."
  value       = data.scaleway_registry_namespace.shared.endpoint
}

output "monitoring" {
  description = "Cockpit links: the project's alert manager and Grafana (login through IAM)."
  value = {
    alert_manager_url = module.monitoring.alert_manager_url
    grafana_url       = module.monitoring.grafana_url
  }
}

output "network" {
  description = "VPC and private network IDs."
  value = {
    vpc_id             = module.network.vpc_id
    private_network_id = module.network.private_network_id
  }
}

# Not part of the CLI contract: the roots do not output it. A root's tests can only read the
# outputs of module.platform (not module.platform.module.containers...), so the effective settings
# of the composed modules are exposed here for them, like the containers and instance outputs of
# the serverless-container and managed-postgresql modules. No secret values, only names and IDs.
output "internals" {
  description = "Effective non-secret settings of the composed modules, for tests and guards (not exported by the roots): containers, database_instance, connection_budget, secret_paths, secret_reads."
  value = {
    containers        = module.containers.containers
    database_instance = module.database.instance
    connection_budget = local.connection_budget
    secret_paths      = module.secrets.secret_paths
    secret_reads = {
      app = {
        for k, v in data.scaleway_secret_version.app : k => { secret_id = v.secret_id, revision = split("/", v.id)[2] }
      }
      postgres_url = {
        secret_id = data.scaleway_secret_version.postgres_url.secret_id
        revision  = data.scaleway_secret_version.postgres_url.revision
      }
    }
  }
}

# The application secrets alone: the only secret outputs an apply limited to module.secrets (how
# `evalap-infra secrets set` creates the secrets of a new environment) writes. OpenTofu 1.12 writes
# no root output that depends on resources outside the target, so secret_ids is absent then.
output "app_secrets" {
  description = "The application secrets' IDs keyed by environment variable name, and their Secret Manager path."
  value       = { ids = module.secrets.secret_ids, path = module.secrets.path }
}

# The migration runner while one exists (null otherwise): read by the CLI's migrate, which calls it
# with its own API key.
output "migration_runner" {
  description = "The migration runner: { id, container_id, url } while a migration runs, else null."
  value       = var.migration == null ? null : module.migration[0].runner
}
