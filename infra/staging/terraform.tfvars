# Staging settings. No secrets here: images come from the CLI (-var), the state passphrase from the
# environment (TF_VAR_state_passphrase), the application secrets' values from Secret Manager
# (`evalap-infra secrets set staging NAME`; app_secret_names lists which).
#
# Set by the operator of this deployment, here, after infra/bootstrap (no default, no placeholder: a
# plan without them stops and names them):
#   project_id           = "<environment_settings.staging.project_id>"
#   registry_project_id  = "<environment_settings.staging.registry_project_id>"
#   alert_contact_emails = ["<the people on call for staging>"]
state_bucket       = "evalap-tfstate-staging"
registry_namespace = "evalap"
private_subnet     = "172.16.8.0/22"
log_level          = "INFO"

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
