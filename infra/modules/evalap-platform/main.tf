# EvalAP on Scaleway, one environment: the platform both roots (infra/staging, infra/production)
# instantiate with `module "platform"`. The roots only differ in variables.tf (defaults and the
# environment-specific validations), terraform.tfvars and the backend key.
#
# How EvalAP really runs (../../../shared/docs/reference/evalap-app.md, summarised in
# infra/README.md): one image; supervisord starts the API (uvicorn, port 8000, Alembic at start),
# the runner (ZeroMQ on localhost:5555/5556, so it must share the API's container) and Streamlit
# (8501, calls the API at the hard-coded http://localhost:8000/v1). A Serverless Container exposes
# one port, so:
#   * evalap    = the image's supervisord, port 8000 exposed, probes on /openapi.json (there is
#                 no /health route);
#   * evalap-ui = the same image and supervisord, port 8501 exposed, probes on /_stcore/health.
#                 Streamlit can only reach an API on localhost, so this container carries its
#                 own API + runner on the same database.

locals {
  environment = var.environment
  name        = "evalap-${local.environment}"
  secret_path = "/evalap/${local.environment}"

  app_secret_names = toset(nonsensitive(keys(var.app_secrets)))

  supervisord = ["supervisord", "-c", "/app/supervisord.conf"]

  # Plain environment: nothing secret here (the serverless-container module rejects secret-looking
  # names). ENV must be exactly "prod": any other value makes EvalAP assert at start.
  app_environment = {
    ENV        = "prod"
    DB_NAME    = module.database.database_name
    LOG_LEVEL  = var.log_level
    TZ         = "Europe/Paris"
    PYTHONPATH = "."
  }

  # expect: what a good health answer's body looks like (the CLI's health gate checks it). The
  # API's FastAPI schema is JSON with a top-level "openapi" key; Streamlit's health endpoint
  # answers the text "ok". An HTML error page served with a 200 passes neither.
  all_services = {
    evalap = {
      description   = "EvalAP API + runner (ZeroMQ over localhost) - ${local.environment}"
      port          = 8000
      health_path   = "/openapi.json"
      expect        = { json = true, contains = "\"openapi\"" }
      startup_probe = { failure_threshold = 60, interval = "10s", timeout = "5s" }
      max_replicas  = null
    }
    evalap-ui = {
      description   = "EvalAP Streamlit UI with its co-located API + runner - ${local.environment}"
      port          = 8501
      health_path   = "/_stcore/health"
      expect        = { json = false, contains = "ok" }
      startup_probe = { failure_threshold = 60, interval = "10s", timeout = "5s" }
      # One replica: Streamlit keeps each session (and its uploads) in the process that served it,
      # and Serverless Containers has no session affinity, so a second replica breaks sessions.
      max_replicas = 1
    }
  }

  enabled_services = { for k, v in local.all_services : k => v if k == "evalap" || var.enable_ui }

  services = {
    for name, s in local.enabled_services : name => {
      image                         = lookup(var.images, name, var.images["evalap"])
      port                          = s.port
      health_path                   = s.health_path
      expect                        = s.expect
      command                       = local.supervisord
      description                   = s.description
      cpu_limit                     = var.container.cpu_limit
      memory_limit_bytes            = var.container.memory_limit_bytes
      min_scale                     = s.max_replicas == null ? var.container.min_scale : min(var.container.min_scale, s.max_replicas)
      max_scale                     = s.max_replicas == null ? var.container.max_scale : min(var.container.max_scale, s.max_replicas)
      concurrent_requests_threshold = var.container.concurrent_requests_threshold
      timeout                       = 300
      privacy                       = "public"
      https_only                    = true
      private_network               = true
      environment                   = local.app_environment
      liveness_probe                = { failure_threshold = 3, interval = "30s", timeout = "5s" }
      startup_probe                 = s.startup_probe
    }
  }

  # Secret environment: every value is read back from Secret Manager (data sources below).
  secret_environment_values = merge(
    { for k, v in data.scaleway_secret_version.app : k => base64decode(v.data) },
    { POSTGRES_URL = base64decode(data.scaleway_secret_version.postgres_url.data) },
  )
}

# The environment's own Scaleway project (infra/bootstrap creates one per environment; the root's provider
# block defaults every resource to it). Cockpit's alert manager, Secret Manager readers and IAM policies are
# scoped by project, so staging and production must never share one: the name check below stops a root
# pointed at the other environment's project before it changes anything there. It is looked up by name
# (the provider's organization) and must be the project_id the root was given.
data "scaleway_account_project" "current" {
  name = var.project_name

  lifecycle {
    postcondition {
      condition     = self.project_id == var.project_id
      error_message = "project_id ${var.project_id} is not the project named \"${var.project_name}\" (${self.project_id}): the ${var.environment} environment only deploys into its own project. Fix project_id in the root's terraform.tfvars (infra/bootstrap output environment_settings gives it)."
    }
  }
}

# The shared registry (infra/bootstrap), in the project that holds it: images are pushed once and promoted
# from staging to production by the same reference.
data "scaleway_registry_namespace" "shared" {
  name       = var.registry_namespace
  project_id = coalesce(var.registry_project_id, var.project_id)
}

module "network" {
  source = "../network"

  name        = local.name
  ipv4_subnet = var.private_subnet
  tags        = ["evalap", local.environment]
}

module "database" {
  source = "../managed-postgresql"

  name               = local.name
  node_type          = var.database.node_type
  high_availability  = var.database.high_availability
  encryption_at_rest = var.database.encryption_at_rest
  volume             = { type = "sbs_5k", size_in_gb = var.database.volume_size_in_gb }
  backup = {
    frequency_hours = var.database.backup_frequency_hours
    retention_days  = var.database.backup_retention_days
  }
  private_network_id = module.network.private_network_id
  public_access = {
    enabled       = length(var.database.public_access_cidrs) > 0
    allowed_cidrs = var.database.public_access_cidrs
  }
  secret_path     = local.secret_path
  protect_secrets = var.protect_secrets
  tags            = ["evalap", local.environment]
}

# The project's alert manager. Of the products EvalAP uses, only PostgreSQL has preconfigured rules (the
# catalogue has no Serverless Containers product); the containers' rules are infra/alerts, pushed by
# `evalap-infra alerts sync` (the provider has no resource for custom rules).
module "monitoring" {
  source = "../cockpit-monitoring"

  project_id                   = data.scaleway_account_project.current.project_id
  contact_emails               = var.alert_contact_emails
  preconfigured_alert_products = ["PostgreSQL"]
}

module "secrets" {
  source = "../secret-manager"

  name_prefix = local.name
  path        = local.secret_path
  project_id  = data.scaleway_account_project.current.project_id
  secrets     = { for k in local.app_secret_names : k => { protected = var.protect_secrets } }
  values      = var.app_secrets
  tags        = ["evalap", local.environment]
  # Readers (CI, the CLI) are IAM applications of infra/bootstrap, scoped to this environment's project:
  # an apply here needs no IAM rights.
}

# Application secrets go Secret Manager -> secret environment variables. Reading the revision the
# secret-manager module just wrote makes the read wait for it, and a new revision (rotation)
# changes the container's secret environment, which redeploys it.
data "scaleway_secret_version" "app" {
  for_each = local.app_secret_names

  secret_id = module.secrets.secret_ids[each.key]
  revision  = module.secrets.revisions[each.key]
}

data "scaleway_secret_version" "postgres_url" {
  secret_id = module.database.secret_ids["postgres-url"]
  revision  = module.database.secret_revisions["postgres-url"]
}

module "containers" {
  source = "../serverless-container"

  namespace_name     = local.name
  description        = "EvalAP ${local.environment}"
  private_network_id = module.network.private_network_id
  services           = local.services
  secret_environment = { for name, _ in local.services : name => local.secret_environment_values }
  tags               = ["evalap", local.environment]
}
