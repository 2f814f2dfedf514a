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

  app_secret_names = var.app_secret_names

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

# ---------------------------------------------------------------------------------------------
# Connection budget: every EvalAP process that talks to PostgreSQL opens its own SQLAlchemy pool,
# so the instances the containers may run at once must fit in the database's max_connections.
# ---------------------------------------------------------------------------------------------
locals {
  # EvalAP's pool, hard-coded in evalap/api/db.py: create_engine(pool_size=20, max_overflow=40).
  # The pool is lazy: a process keeps up to pool_size connections open once it has needed them, and
  # opens up to max_overflow more (closed when returned) under concurrent load.
  db_pool = { size = 20, max_overflow = 40 }

  # Processes with a pool per container instance (supervisord.conf): the 4 uvicorn workers
  # (scripts/start_uvicorn.sh, --workers 4) and the runner (evalap/runners/tasks.py uses
  # SessionLocal). Streamlit calls the API over HTTP and opens no connection. Alembic and the seed
  # run once before uvicorn starts: they are in the reserve below.
  db_processes_per_instance = 5

  # Connections that are not EvalAP pools: PostgreSQL's superuser_reserved_connections (3), the
  # Alembic + seed run of each starting instance and of the CLI's migrate, Scaleway's monitoring and
  # backup agents, an operator's psql.
  db_reserved_connections = 20

  db_connections_per_process = var.database.connection_budget == "peak" ? local.db_pool.size + local.db_pool.max_overflow : local.db_pool.size

  # Memory (GB) and vCPUs of RDB node types, from Scaleway's Managed Database offer (the API's
  # ListNodeTypes `memory` and `vcpus`; `scw rdb node-type list`). POP2 names carry both
  # (db-pop2-<vcpus>c-<memory>g). A node type missing here fails the plan (precondition below).
  db_nodes = {
    "db-dev-s"      = { memory_gb = 2, vcpus = 2 }
    "db-dev-m"      = { memory_gb = 4, vcpus = 3 }
    "db-dev-l"      = { memory_gb = 8, vcpus = 4 }
    "db-dev-xl"     = { memory_gb = 12, vcpus = 4 }
    "db-play2-pico" = { memory_gb = 2, vcpus = 1 }
    "db-play2-nano" = { memory_gb = 4, vcpus = 2 }
    "db-pro2-xxs"   = { memory_gb = 8, vcpus = 2 }
    "db-pro2-xs"    = { memory_gb = 16, vcpus = 4 }
    "db-pro2-s"     = { memory_gb = 32, vcpus = 8 }
    "db-pro2-m"     = { memory_gb = 64, vcpus = 16 }
    "db-pro2-l"     = { memory_gb = 128, vcpus = 32 }
  }
  db_node_type = lower(var.database.node_type)
  db_pop2      = try(regex("^db-pop2-(?:[a-z]+-)?([0-9]+)c-([0-9]+)g$", local.db_node_type), null)
  db_node = lookup(local.db_nodes, local.db_node_type,
    local.db_pop2 == null ? null : { memory_gb = tonumber(local.db_pop2[1]), vcpus = tonumber(local.db_pop2[0]) }
  )
  db_memory_gb = try(local.db_node.memory_gb, null)

  # The RDB API accepts max_connections up to 10000 on any node type; what a node can carry is its
  # memory. 100 connections per GB (about 10 MB per backend: a backend's own memory plus work_mem)
  # is the ratio AWS RDS uses for its default (DBInstanceClassMemory / 9531392); Scaleway's own
  # defaults are lower (100 on db-dev-s, 150 on db-dev-m, recorded in the provider's rdb cassettes)
  # and it accepts 200 on a db-dev-s (instance-settings.cassette.yaml).
  db_max_connections_cap = local.db_memory_gb == null ? 0 : local.db_memory_gb * 100

  # Every engine setting the API reports, not max_connections alone. A PostgreSQL instance answers
  # six settings once ready (provider v2.81.0 cassettes: database-basic, instance-with-cluster), the
  # provider reads them all back into `settings` (internal/services/rdb/instance.go, no diff
  # suppression), so a map with max_connections alone plans the five others away on every run, and
  # each such apply PUTs the settings again, which restarts the instance (max_connections is not
  # hot-configurable). The five others follow Scaleway's own defaults, which these formulas give
  # exactly on db-dev-s (2 GB, 2 vCPU: 1300, 150, 4, 0, 0) and db-dev-m (4 GB, 3 vCPU: 2700, 300,
  # 8, 1, 0), except that work_mem stays at 8 MB on bigger nodes: it is per sort and per
  # connection, and the budget above lets hundreds of connections in.
  db_gb    = coalesce(local.db_memory_gb, 2)
  db_vcpus = try(local.db_node.vcpus, 2)
  db_engine_settings = {
    max_connections                 = tostring(var.database.max_connections)
    effective_cache_size            = tostring(700 * local.db_gb - 100)
    maintenance_work_mem            = tostring(75 * local.db_gb)
    work_mem                        = tostring(min(2 * local.db_gb, 8))
    max_parallel_workers            = tostring(max(0, local.db_vcpus - 2))
    max_parallel_workers_per_gather = "0"
  }

  connection_budget = {
    instances                = { for name, s in local.services : name => s.max_scale }
    processes_per_instance   = local.db_processes_per_instance
    connections_per_process  = local.db_connections_per_process
    reserved                 = local.db_reserved_connections
    needed                   = sum([for s in local.services : s.max_scale]) * local.db_processes_per_instance * local.db_connections_per_process + local.db_reserved_connections
    peak                     = sum([for s in local.services : s.max_scale]) * local.db_processes_per_instance * (local.db_pool.size + local.db_pool.max_overflow) + local.db_reserved_connections
    max_connections          = var.database.max_connections
    node_type                = local.db_node_type
    node_memory_gb           = local.db_memory_gb
    node_max_connections_cap = local.db_max_connections_cap
    mode                     = var.database.connection_budget
  }
}

# Holds the budget in the plan and fails it (not a warning-only check block) when it does not fit.
resource "terraform_data" "connection_budget" {
  input = local.connection_budget

  lifecycle {
    precondition {
      condition     = local.connection_budget.needed <= local.connection_budget.max_connections
      error_message = "Connection budget exceeded: ${sum(values(local.connection_budget.instances))} container instances at most (${join(", ", [for k, v in local.connection_budget.instances : "${k} ${v}"])}) x ${local.connection_budget.processes_per_instance} processes x ${local.connection_budget.connections_per_process} connections (${local.connection_budget.mode} budget) + ${local.connection_budget.reserved} reserved = ${local.connection_budget.needed} > database.max_connections = ${local.connection_budget.max_connections}. Fix: lower container.max_scale, or raise database.max_connections (up to ${local.connection_budget.node_max_connections_cap} on ${local.connection_budget.node_type}) with a bigger database.node_type if needed."
    }

    precondition {
      condition     = local.db_node != null
      error_message = "database.node_type = ${var.database.node_type} is not in the node table of modules/evalap-platform/main.tf (db_nodes): add its memory and vCPUs (scw rdb node-type list), from which the connection cap and the engine settings follow."
    }

    precondition {
      condition     = local.db_node == null || local.connection_budget.max_connections <= local.connection_budget.node_max_connections_cap
      error_message = "database.max_connections = ${local.connection_budget.max_connections} is more than ${local.connection_budget.node_type} (${coalesce(local.connection_budget.node_memory_gb, 0)} GB) can carry: at most ${local.connection_budget.node_max_connections_cap} (100 per GB of node memory, about 10 MB per PostgreSQL backend). Fix: a bigger database.node_type, or fewer container instances (container.max_scale) and a lower max_connections."
    }
  }
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
  # max_connections is not hot-configurable: changing it restarts the instance.
  settings        = local.db_engine_settings
  prevent_destroy = var.prevent_database_destroy
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
  tags        = ["evalap", local.environment]
  # Readers (CI, the CLI) are IAM applications of infra/bootstrap, scoped to this environment's project:
  # an apply here needs no IAM rights.
}

# Application secrets go Secret Manager -> secret environment variables. Secret Manager is their
# source of truth: the CLI (`secrets set`, `secrets rotate`) writes their versions and this reads the
# latest enabled one ("latest_enabled", a revision the API accepts: scaleway-sdk-go
# api/secret/v1beta1/secret_sdk.go AccessSecretVersionRequest.Revision; the provider passes it
# through: internal/services/secret/version_data_source.go). A new enabled version changes the
# containers' secret environment at the next plan, which redeploys them: that is how a rotation
# deploys. A secret without an enabled version fails the plan here (the CLI's preflight names it).
data "scaleway_secret_version" "app" {
  for_each = local.app_secret_names

  secret_id = module.secrets.secret_ids[each.key]
  revision  = "latest_enabled"
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

# The migration runner (modules/migration-runner): only while the CLI runs Alembic, applied with
# -target=module.platform.module.migration and `migration` set, then removed with migration = null.
# Same image, database environment and private network as the API; POSTGRES_URL is the only secret
# it gets (Alembic needs nothing else).
module "migration" {
  source = "../migration-runner"
  count  = var.migration == null ? 0 : 1

  migration          = var.migration
  namespace_id       = module.containers.namespace_id
  private_network_id = module.network.private_network_id
  image              = var.images["evalap"]
  environment        = local.app_environment
  secret_environment = { POSTGRES_URL = base64decode(data.scaleway_secret_version.postgres_url.data) }
  cpu_limit          = var.container.cpu_limit
  memory_limit_bytes = var.container.memory_limit_bytes
  tags               = ["evalap", local.environment, "migration"]
}
