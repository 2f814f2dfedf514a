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
