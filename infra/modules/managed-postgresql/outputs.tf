output "instance_id" {
  description = "ID of the RDB instance (regional)."
  value       = scaleway_rdb_instance.this.id
}

output "database_name" {
  description = "Application database name (EvalAP DB_NAME)."
  value       = scaleway_rdb_database.app.name
}

output "app_user_name" {
  description = "Application user name."
  value       = scaleway_rdb_user.app.name
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
  description = "Secret Manager IDs of the generated credentials: postgres-url, db-app-password, db-admin-password."
  value       = { for k, s in scaleway_secret.db : k => s.id }
}

output "secret_revisions" {
  description = "Current revision of each credential secret (changes when passwords or the endpoint change)."
  value       = { for k, v in scaleway_secret_version.db : k => v.revision }
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
