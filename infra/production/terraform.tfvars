# Production settings. No secrets here: images come from the CLI (-var, the same references that
# passed staging), the state passphrase from the environment (TF_VAR_state_passphrase), the
# application secrets' values from Secret Manager (`evalap-infra secrets set production NAME`;
# app_secret_names lists which).
#
# Set by the operator of this deployment, here, after infra/bootstrap (no default, no placeholder: a
# plan without them stops and names them):
#   project_id           = "<environment_settings.production.project_id>"
#   registry_project_id  = "<environment_settings.production.registry_project_id>"
#   alert_contact_emails = ["<the people on call for production>"]
state_bucket       = "evalap-tfstate-production"
registry_namespace = "evalap"
private_subnet     = "172.16.12.0/22"
log_level          = "INFO"
protect_secrets    = true

# No plan may delete or replace the database (prevent_destroy); false only in a reviewed change.
prevent_database_destroy = true

container = {
  cpu_limit          = 2240
  memory_limit_bytes = 4096000000
  min_scale          = 3
  max_scale          = 3
}

database = {
  node_type             = "db-pro2-xs"
  high_availability     = true
  encryption_at_rest    = true
  volume_size_in_gb     = 50
  backup_retention_days = 30
  max_connections       = 1250
  connection_budget     = "peak"
}
