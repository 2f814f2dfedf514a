output "instance_id" {
  description = "ID of the RDB instance, regional as the provider gives it (fr-par/<uuid>): what the CLI's rotation passes to the RDB API."
  value       = scaleway_rdb_instance.this.id
}

output "database_name" {
  description = "Application database name (EvalAP DB_NAME)."
  value       = scaleway_rdb_database.app.name
}

output "app_user_names" {
  description = "The two application users that take turns, [<app_user_name>_a, <app_user_name>_b]."
  value       = [for k in sort(keys(scaleway_rdb_user.app)) : scaleway_rdb_user.app[k].name]
}

output "endpoint" {
  description = "Endpoint the application uses: the private IPAM endpoint when a private network is set, else the public one."
  value = {
    host    = local.host
    port    = local.port
    private = local.private
  }
}

output "public_endpoint_enabled" {
  description = "Whether the instance has a public (load balancer) endpoint."
  value       = var.public_access.enabled
}

output "connection" {
  description = "EvalAP connection contract: postgres_url is the server URL WITHOUT the database name; db_name goes in DB_NAME."
  sensitive   = true
  value = {
    postgres_url = local.postgres_url
    db_name      = scaleway_rdb_database.app.name
  }
}

output "secret_ids" {
  description = "Secret Manager IDs of the database secrets: postgres-url, db-app-credentials, db-admin-password."
  value       = { for k, s in scaleway_secret.db : k => s.id }
}

output "secret_revisions" {
  description = "Revisions the containers depend on: postgres-url (written by OpenTofu, changes with the credentials or the endpoint) and db-app-credentials (the latest enabled version POSTGRES_URL was derived from)."
  value = {
    "postgres-url" = scaleway_secret_version.postgres_url.revision
    # The revision read, from the data source's id "<region>/<secret id>/<revision>"
    # (internal/services/secret/version_data_source.go): `revision` holds what was asked for.
    "db-app-credentials" = split("/", data.scaleway_secret_version.app_credentials.id)[2]
  }
}

output "instance" {
  description = "Effective instance settings (for the CLI's guards and for tests)."
  value = {
    engine                 = scaleway_rdb_instance.this.engine
    node_type              = scaleway_rdb_instance.this.node_type
    high_availability      = scaleway_rdb_instance.this.is_ha_cluster
    encryption_at_rest     = scaleway_rdb_instance.this.encryption_at_rest
    backup_enabled         = !scaleway_rdb_instance.this.disable_backup
    backup_retention_days  = scaleway_rdb_instance.this.backup_schedule_retention
    backup_frequency_hours = scaleway_rdb_instance.this.backup_schedule_frequency
    public_endpoint        = length(scaleway_rdb_instance.this.load_balancer) > 0
    private_ipam           = length(scaleway_rdb_instance.this.private_network) > 0 ? scaleway_rdb_instance.this.private_network[0].enable_ipam : false
    acl_cidrs              = flatten([for a in scaleway_rdb_acl.public : [for r in a.acl_rules : r.ip]])
    max_connections        = try(scaleway_rdb_instance.this.settings["max_connections"], null)
    settings               = scaleway_rdb_instance.this.settings
    prevent_destroy        = var.prevent_destroy
  }
}
