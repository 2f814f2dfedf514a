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
}

# State addresses before the platform module existed (the modules were called from this root):
# move them instead of destroying and recreating the environment. Data sources need no move.
# Keep these blocks until every state has been applied once with this layout.
moved {
  from = module.network
  to   = module.platform.module.network
}

moved {
  from = module.database
  to   = module.platform.module.database
}

moved {
  from = module.monitoring
  to   = module.platform.module.monitoring
}

moved {
  from = module.secrets
  to   = module.platform.module.secrets
}

moved {
  from = module.containers
  to   = module.platform.module.containers
}
