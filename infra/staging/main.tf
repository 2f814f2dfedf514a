# EvalAP staging: the whole platform is ../modules/evalap-platform, the same module for staging and
# production. What makes this environment staging is only here: variables.tf (defaults and the
# staging validations), terraform.tfvars and the backend key in versions.tf.

module "platform" {
  source = "../modules/evalap-platform"

  environment          = "staging"
  project_id           = var.project_id
  project_name         = var.project_name
  registry_project_id  = var.registry_project_id
  images               = var.images
  app_secret_names     = var.app_secret_names
  state_bucket         = var.state_bucket
  registry_namespace   = var.registry_namespace
  private_subnet       = var.private_subnet
  container            = var.container
  enable_ui            = var.enable_ui
  database             = var.database
  alert_contact_emails = var.alert_contact_emails
  log_level            = var.log_level
  protect_secrets      = var.protect_secrets
  migration            = var.migration

  prevent_database_destroy = var.prevent_database_destroy
}
