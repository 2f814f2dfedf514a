# EvalAP staging: the whole platform is ../modules/evalap-platform, the same module for staging and
# production. What makes this environment staging is only here: variables.tf (defaults and the
# staging validations), terraform.tfvars and the backend key in versions.tf.

module "platform" {
  source = "../modules/evalap-platform"

  environment          = "staging"
  images               = var.images
  app_secrets          = var.app_secrets
  state_bucket         = var.state_bucket
  registry_namespace   = var.registry_namespace
  private_subnet       = var.private_subnet
  container            = var.container
  enable_ui            = var.enable_ui
  database             = var.database
  alert_contact_emails = var.alert_contact_emails
  log_level            = var.log_level
  logs_retention_days  = var.logs_retention_days
  protect_secrets      = var.protect_secrets

  prevent_database_destroy = var.prevent_database_destroy
}
