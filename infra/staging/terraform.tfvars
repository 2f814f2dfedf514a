# Staging settings. No secrets here: images come from the CLI (-var), the state passphrase and the
# application secrets from the environment (TF_VAR_state_passphrase, TF_VAR_app_secrets).
state_bucket         = "evalap-tfstate-staging"
registry_namespace   = "evalap"
private_subnet       = "172.16.8.0/22"
alert_contact_emails = ["evalap-ops@example.org"]
log_level            = "INFO"

container = {
  cpu_limit          = 2240
  memory_limit_bytes = 4096000000
  min_scale          = 0
  max_scale          = 2
}

database = {
  node_type             = "db-dev-m"
  high_availability     = false
  encryption_at_rest    = true
  backup_retention_days = 7
  max_connections       = 400
  connection_budget     = "steady"
}
logs_retention_days = 7
