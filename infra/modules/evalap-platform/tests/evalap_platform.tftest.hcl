# Mocked provider: no credentials, no API calls. IDs are given in the regional UUID form because
# the real provider still validates arguments such as rdb_user.instance_id or secret_id.
# This block is repeated, identical, in modules/evalap-platform/tests, staging/tests and
# production/tests: keep the three copies in sync. OpenTofu 1.12 cannot load mocks from a shared
# file (mock_provider has no `source` argument, no .tfmock.hcl files: opentofu/opentofu#1778).
mock_provider "scaleway" {
  mock_resource "scaleway_vpc" {
    defaults = { id = "fr-par/11111111-1111-1111-1111-111111111111" }
  }
  mock_resource "scaleway_vpc_private_network" {
    defaults = { id = "fr-par/22222222-2222-2222-2222-222222222222" }
  }
  mock_resource "scaleway_container_namespace" {
    defaults = { id = "fr-par/44444444-4444-4444-4444-444444444444" }
  }
  mock_resource "scaleway_container" {
    defaults = {
      id              = "fr-par/55555555-5555-5555-5555-555555555555"
      public_endpoint = "https://evalap-mock.functions.fnc.fr-par.scw.cloud"
    }
  }
  mock_resource "scaleway_rdb_instance" {
    defaults = { id = "fr-par/66666666-6666-6666-6666-666666666666" }
  }
  mock_resource "scaleway_secret" {
    defaults = { id = "fr-par/77777777-7777-7777-7777-777777777777" }
  }
  mock_resource "scaleway_secret_version" {
    defaults = { revision = "1" }
  }
  mock_data "scaleway_account_project" {
    defaults = {
      id         = "99999999-9999-9999-9999-999999999999"
      project_id = "99999999-9999-9999-9999-999999999999"
    }
  }
  # One rule of the recorded catalogue (product names as the API spells them).
  mock_data "scaleway_cockpit_preconfigured_alert" {
    defaults = {
      alerts = [{
        annotations           = {}
        data_source_id        = "11111111-1111-4111-8111-111111111111"
        display_description   = "PostgreSQL disk usage above 80%"
        display_name          = "PostgreSQL high storage usage"
        duration              = "10m"
        name                  = "PostgreSQLHighStorageUsage"
        preconfigured_rule_id = "rule-pg-1"
        product_family        = "Managed Databases"
        product_name          = "PostgreSQL"
        rule                  = "mock"
        rule_status           = "disabled"
        state                 = "inactive"
      }]
    }
  }
  mock_data "scaleway_registry_namespace" {
    defaults = { endpoint = "rg.fr-par.scw.cloud/evalap" }
  }
  mock_data "scaleway_secret_version" {
    # Every read gets base64 of {"user":"evalap_a","password":"mock"} (the data source returns
    # base64, like the real one; the database module decodes the credentials as JSON) at revision 2
    # (the provider's id is <region>/<secret id>/<revision>; `revision` keeps what was asked for).
    defaults = {
      id   = "fr-par/77777777-7777-7777-7777-777777777777/2"
      data = "eyJ1c2VyIjoiZXZhbGFwX2EiLCJwYXNzd29yZCI6Im1vY2sifQ=="
    }
  }
}

# Every input is required (the roots hold the defaults); these are staging-like values. Runs
# override what they test. The environment-specific invariants are asserted on the real roots
# (infra/staging/tests, infra/production/tests); here, what holds for every environment and how
# each input reaches the resources.
variables {
  environment          = "staging"
  images               = { evalap = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3" }
  state_bucket         = "evalap-tfstate-staging"
  registry_namespace   = "evalap"
  private_subnet       = "172.16.8.0/22"
  alert_contact_emails = ["oncall@evalap.beta.gouv.fr"]
  project_id           = "99999999-9999-9999-9999-999999999999"
  project_name         = "evalap-mock"
  log_level            = "INFO"
  protect_secrets      = false
  enable_ui            = true

  prevent_database_destroy = false
  migration                = null
  container = {
    cpu_limit                     = 2240
    memory_limit_bytes            = 4096000000
    min_scale                     = 0
    max_scale                     = 2
    concurrent_requests_threshold = 50
  }
  database = {
    node_type              = "db-dev-m"
    high_availability      = false
    encryption_at_rest     = true
    volume_size_in_gb      = 10
    backup_frequency_hours = 24
    backup_retention_days  = 7
    public_access_cidrs    = []
    max_connections        = 400
    connection_budget      = "steady"
  }
  app_secret_names = ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY"]
}

run "evalap_as_it_really_runs" {
  command = apply

  assert {
    condition     = output.environment == "staging" && output.secret_path == "/evalap/staging"
    error_message = "environment and secret_path outputs follow var.environment."
  }

  assert {
    condition     = toset(keys(output.services)) == toset(["evalap", "evalap-ui"])
    error_message = "API+runner and UI containers are deployed."
  }

  assert {
    condition     = output.services["evalap"].health_path == "/openapi.json" && output.services["evalap-ui"].health_path == "/_stcore/health"
    error_message = "Health paths must be ones EvalAP serves (/openapi.json, /_stcore/health); there is no /health."
  }

  assert {
    condition = (
      output.services["evalap"].expect == { json = true, contains = "\"openapi\"" } &&
      output.services["evalap-ui"].expect == { json = false, contains = "ok" }
    )
    error_message = "Health answers are checked beyond the status: the API's schema is JSON with an openapi key, the UI's health says ok."
  }

  assert {
    condition     = alltrue([for s in values(output.services) : startswith(s.url, "https://") && s.id != ""])
    error_message = "services output: https url and id for each service."
  }

  assert {
    condition     = module.containers.containers["evalap"].port == 8000 && module.containers.containers["evalap-ui"].port == 8501
    error_message = "API on 8000, Streamlit on 8501."
  }

  assert {
    condition     = module.containers.containers["evalap"].liveness_path == "/openapi.json" && module.containers.containers["evalap"].startup_path == "/openapi.json" && module.containers.containers["evalap-ui"].liveness_path == "/_stcore/health" && module.containers.containers["evalap-ui"].startup_path == "/_stcore/health"
    error_message = "Probes on the right paths, never /health."
  }

  assert {
    condition     = alltrue([for c in module.containers.containers : c.image == "rg.fr-par.scw.cloud/evalap/evalap:1.2.3" && c.command == tolist(["supervisord", "-c", "/app/supervisord.conf"])])
    error_message = "One image for every service, run under the image's supervisord."
  }

  assert {
    condition     = alltrue([for c in module.containers.containers : c.environment == tomap({ ENV = "prod", DB_NAME = "evalap", LOG_LEVEL = "INFO", TZ = "Europe/Paris", PYTHONPATH = "." })])
    error_message = "Plain environment: exactly ENV=prod, DB_NAME, LOG_LEVEL, TZ, PYTHONPATH (no secret)."
  }

  assert {
    condition     = alltrue([for c in module.containers.containers : toset(c.secret_environment_keys) == toset(["POSTGRES_URL", "ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY"])])
    error_message = "POSTGRES_URL and the app secrets are secret environment variables."
  }

  assert {
    condition     = toset(keys(data.scaleway_secret_version.app)) == toset(["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY"]) && data.scaleway_secret_version.app["ADMIN_TOKEN"].secret_id == output.secret_ids["ADMIN_TOKEN"] && alltrue([for v in data.scaleway_secret_version.app : v.revision == "latest_enabled"]) && data.scaleway_secret_version.postgres_url.secret_id == output.secret_ids["POSTGRES_URL"]
    error_message = "App secret values are read from Secret Manager at their latest enabled version (the CLI writes them)."
  }

  assert {
    condition     = output.internals.secret_reads.app["ADMIN_TOKEN"].secret_id == data.scaleway_secret_version.app["ADMIN_TOKEN"].secret_id && output.internals.secret_reads.postgres_url.secret_id == data.scaleway_secret_version.postgres_url.secret_id && output.internals.containers == module.containers.containers && output.internals.database_instance == module.database.instance && output.internals.secret_paths == module.secrets.secret_paths
    error_message = "internals mirrors the composed modules (the roots' tests read them through it)."
  }

  assert {
    condition     = alltrue([for c in module.containers.containers : c.private_network_id == output.network.private_network_id])
    error_message = "Containers reach the database over the private network."
  }

  assert {
    condition     = alltrue([for c in module.containers.containers : c.cpu_limit == 2240 && c.memory_limit_bytes == 4096000000 && c.min_scale == 0]) && module.containers.containers["evalap"].max_scale == 2
    error_message = "var.container reaches every container."
  }

  assert {
    condition     = module.containers.containers["evalap-ui"].max_scale == 1
    error_message = "The Streamlit UI runs one replica (sessions and uploads live in one process; no session affinity)."
  }

  assert {
    condition     = module.database.instance.node_type == "db-dev-m" && module.database.instance.high_availability == false && module.database.instance.encryption_at_rest && module.database.instance.backup_retention_days == 7 && module.database.instance.backup_frequency_hours == 24 && module.database.instance.engine == "PostgreSQL-16"
    error_message = "var.database reaches the instance."
  }

  assert {
    condition = (
      module.database.instance.max_connections == "400" &&
      output.internals.connection_budget.instances == { evalap = 2, evalap-ui = 1 } &&
      output.internals.connection_budget.connections_per_process == 20 &&
      output.internals.connection_budget.needed == 320 &&
      output.internals.connection_budget.peak == 920 &&
      output.internals.connection_budget.node_max_connections_cap == 400 &&
      module.database.instance.settings == tomap({
        max_connections                 = "400"
        effective_cache_size            = "2700"
        maintenance_work_mem            = "300"
        work_mem                        = "8"
        max_parallel_workers            = "1"
        max_parallel_workers_per_gather = "0"
      })
    )
    error_message = "The instance gets every setting PostgreSQL reports, at Scaleway's db-dev-m defaults but max_connections; a steady budget counts pool_size: (2 API + 1 UI instances) x 5 processes x 20 + 20 reserved = 320."
  }

  assert {
    condition     = module.database.instance.public_endpoint == false && output.database.public_endpoint == false && output.database.private && module.database.instance.private_ipam
    error_message = "No public database endpoint without CIDRs; private IPAM endpoint."
  }

  assert {
    condition     = output.database.database_name == "evalap" && output.database.instance_id == "fr-par/66666666-6666-6666-6666-666666666666" && output.database.app_users == ["evalap_a", "evalap_b"] && !can(output.database.app_user_name)
    error_message = "database output: instance_id (regional), database_name and the two application users (app_users), no credentials."
  }

  assert {
    condition     = toset(keys(output.secret_ids)) == toset(["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY", "POSTGRES_URL", "DB_APP_CREDENTIALS", "DB_ADMIN_PASSWORD"]) && output.secret_ids["DB_APP_CREDENTIALS"] == module.database.secret_ids["db-app-credentials"]
    error_message = "secret_ids exposes every secret by variable name."
  }

  assert {
    condition     = output.secret_revisions == { ADMIN_TOKEN = 2, EVALAP_FRONTEND_TOKEN = 2, OPENAI_API_KEY = 2, POSTGRES_URL = 1, DB_APP_CREDENTIALS = 2 } && output.secret_revisions["ADMIN_TOKEN"] == tonumber(output.internals.secret_reads.app["ADMIN_TOKEN"].revision) && output.secret_revisions["POSTGRES_URL"] == tonumber(output.internals.secret_reads.postgres_url.revision) && !issensitive(output.secret_revisions)
    error_message = "secret_revisions gives, non-sensitive and as numbers, the revision each secret environment variable of the containers was read from (app secrets at their latest enabled version, POSTGRES_URL, and DB_APP_CREDENTIALS it was derived from; the admin password is not read by the containers)."
  }

  assert {
    condition     = alltrue([for p in values(module.secrets.secret_paths) : p == "/evalap/staging"])
    error_message = "Secrets live under /evalap/<environment>."
  }

  assert {
    condition     = output.state_bucket == "evalap-tfstate-staging" && output.registry_endpoint == "rg.fr-par.scw.cloud/evalap"
    error_message = "state_bucket and registry_endpoint outputs."
  }

  assert {
    condition     = output.project_id == "99999999-9999-9999-9999-999999999999" && output.container_namespace_id == "fr-par/44444444-4444-4444-4444-444444444444"
    error_message = "project_id and container_namespace_id outputs."
  }

  assert {
    condition     = module.monitoring.enabled_preconfigured_alerts == ["rule-pg-1"] && module.monitoring.alert_manager_url != null
    error_message = "The PostgreSQL preconfigured rules reach the project's alert manager."
  }

}

run "production_inputs_reach_the_resources" {
  command = apply

  variables {
    environment     = "production"
    state_bucket    = "evalap-tfstate-production"
    private_subnet  = "172.16.12.0/22"
    protect_secrets = true
    log_level       = "WARNING"
    container = {
      cpu_limit                     = 2240
      memory_limit_bytes            = 4096000000
      min_scale                     = 3
      max_scale                     = 3
      concurrent_requests_threshold = 50
    }
    database = {
      node_type              = "db-pro2-xs"
      high_availability      = true
      encryption_at_rest     = true
      volume_size_in_gb      = 50
      backup_frequency_hours = 24
      backup_retention_days  = 30
      public_access_cidrs    = []
      max_connections        = 1250
      connection_budget      = "peak"
    }
  }

  assert {
    condition     = output.environment == "production" && output.secret_path == "/evalap/production" && alltrue([for p in values(module.secrets.secret_paths) : p == "/evalap/production"])
    error_message = "Secrets live under /evalap/production."
  }

  assert {
    condition     = module.containers.containers["evalap"].min_scale == 3 && module.containers.containers["evalap"].max_scale == 3 && alltrue([for c in module.containers.containers : c.environment["LOG_LEVEL"] == "WARNING"])
    error_message = "Production scaling and log level reach the API."
  }

  assert {
    condition     = module.containers.containers["evalap-ui"].min_scale == 1 && module.containers.containers["evalap-ui"].max_scale == 1
    error_message = "The UI keeps its one replica in production too (min_scale capped at 1)."
  }

  assert {
    condition     = module.database.instance.high_availability && module.database.instance.node_type == "db-pro2-xs" && module.database.instance.backup_retention_days == 30 && !module.database.instance.public_endpoint
    error_message = "Production database settings reach the instance."
  }

  assert {
    condition     = output.internals.connection_budget.needed == 1220 && output.internals.connection_budget.peak == 1220 && module.database.instance.settings == tomap({ max_connections = "1250", effective_cache_size = "11100", maintenance_work_mem = "1200", work_mem = "8", max_parallel_workers = "2", max_parallel_workers_per_gather = "0" })
    error_message = "A peak budget counts pool_size + max_overflow: (3 API + 1 UI instances) x 5 processes x 60 + 20 reserved = 1220, within max_connections = 1250 set on the instance with the db-pro2-xs (16 GB, 4 vCPU) settings (work_mem kept at 8 MB)."
  }

  assert {
    condition     = output.state_bucket == "evalap-tfstate-production"
    error_message = "state_bucket output."
  }
}

run "another_lower_case_environment" {
  command = plan

  variables {
    environment = "preview-2"
  }

  assert {
    condition     = output.environment == "preview-2" && output.secret_path == "/evalap/preview-2"
    error_message = "Any lower-case environment name is accepted."
  }
}

run "ui_can_be_disabled" {
  command = apply

  variables {
    enable_ui = false
  }

  assert {
    condition     = toset(keys(output.services)) == toset(["evalap"]) && toset(keys(module.containers.containers)) == toset(["evalap"])
    error_message = "Without the UI only the API+runner container remains."
  }
}

run "ui_can_have_its_own_image" {
  command = apply

  variables {
    images = {
      evalap    = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
      evalap-ui = "rg.fr-par.scw.cloud/evalap/evalap@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    }
  }

  assert {
    condition     = module.containers.containers["evalap"].image == "rg.fr-par.scw.cloud/evalap/evalap:1.2.3" && module.containers.containers["evalap-ui"].image == "rg.fr-par.scw.cloud/evalap/evalap@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    error_message = "images[evalap-ui] overrides the image of the UI only."
  }
}

run "public_database_needs_acl_cidrs" {
  command = apply

  variables {
    database = {
      node_type              = "db-dev-m"
      high_availability      = false
      encryption_at_rest     = true
      volume_size_in_gb      = 10
      backup_frequency_hours = 24
      backup_retention_days  = 7
      public_access_cidrs    = ["203.0.113.10/32"]
      max_connections        = 400
      connection_budget      = "steady"
    }
  }

  assert {
    condition     = module.database.instance.acl_cidrs == ["203.0.113.10/32"] && output.database.public_endpoint
    error_message = "A public endpoint is ACL-restricted."
  }
}

# ---------------------------------------------------------------------------------------------
# Validations that hold for every environment (moved here from the roots' tests).
# ---------------------------------------------------------------------------------------------

run "upper_case_environment_is_rejected" {
  command = plan

  variables {
    environment = "Production"
  }

  expect_failures = [var.environment]
}

run "environment_with_invalid_characters_is_rejected" {
  command = plan

  variables {
    environment = "prod_1"
  }

  expect_failures = [var.environment]
}

run "images_without_evalap_key_are_rejected" {
  command = plan

  variables {
    images = { api = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3" }
  }

  expect_failures = [var.images]
}

run "latest_image_is_rejected" {
  command = plan

  variables {
    images = { evalap = "rg.fr-par.scw.cloud/evalap/evalap:latest" }
  }

  expect_failures = [var.images]
}

run "image_without_tag_is_rejected" {
  command = plan

  variables {
    images = { evalap = "rg.fr-par.scw.cloud/evalap/evalap" }
  }

  expect_failures = [var.images]
}

run "too_little_memory_is_rejected" {
  command = plan

  variables {
    container = {
      cpu_limit                     = 2240
      memory_limit_bytes            = 1024000000
      min_scale                     = 0
      max_scale                     = 2
      concurrent_requests_threshold = 50
    }
  }

  expect_failures = [var.container]
}

run "min_scale_above_max_scale_is_rejected" {
  command = plan

  variables {
    container = {
      cpu_limit                     = 2240
      memory_limit_bytes            = 4096000000
      min_scale                     = 3
      max_scale                     = 2
      concurrent_requests_threshold = 50
    }
  }

  expect_failures = [var.container]
}

run "concurrency_above_scaleway_limit_is_rejected" {
  command = plan

  variables {
    container = {
      cpu_limit                     = 2240
      memory_limit_bytes            = 4096000000
      min_scale                     = 0
      max_scale                     = 2
      concurrent_requests_threshold = 81
    }
  }

  expect_failures = [var.container]
}

run "max_scale_above_scaleway_limit_is_rejected" {
  command = plan

  variables {
    container = {
      cpu_limit                     = 2240
      memory_limit_bytes            = 4096000000
      min_scale                     = 0
      max_scale                     = 51
      concurrent_requests_threshold = 50
    }
  }

  expect_failures = [var.container]
}

run "scaleway_limits_themselves_are_accepted" {
  command = plan

  variables {
    container = {
      cpu_limit                     = 2240
      memory_limit_bytes            = 4096000000
      min_scale                     = 0
      max_scale                     = 50
      concurrent_requests_threshold = 80
    }
    # 51 instances (50 + the UI) x 5 processes x 20 + 20 = 5120 connections: a big node.
    database = {
      node_type              = "db-pro2-l"
      high_availability      = false
      encryption_at_rest     = true
      volume_size_in_gb      = 10
      backup_frequency_hours = 24
      backup_retention_days  = 7
      public_access_cidrs    = []
      max_connections        = 6000
      connection_budget      = "steady"
    }
  }
}

run "missing_required_secret_is_rejected" {
  command = plan

  variables {
    app_secret_names = ["OPENAI_API_KEY"]
  }

  expect_failures = [var.app_secret_names]
}

run "postgres_url_cannot_be_passed_in" {
  command = plan

  variables {
    app_secret_names = ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "POSTGRES_URL"]
  }

  expect_failures = [var.app_secret_names]
}

run "unknown_secret_name_is_rejected" {
  command = plan

  variables {
    app_secret_names = ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "DATABASE_URL"]
  }

  expect_failures = [var.app_secret_names]
}

run "invalid_state_bucket_is_rejected" {
  command = plan

  variables {
    state_bucket = "Not_A_Bucket"
  }

  expect_failures = [var.state_bucket]
}

run "unknown_log_level_is_rejected" {
  command = plan

  variables {
    log_level = "TRACE"
  }

  expect_failures = [var.log_level]
}


run "backup_retention_out_of_range_is_rejected" {
  command = plan

  variables {
    database = {
      node_type              = "db-dev-m"
      high_availability      = false
      encryption_at_rest     = true
      volume_size_in_gb      = 10
      backup_frequency_hours = 24
      backup_retention_days  = 400
      public_access_cidrs    = []
      max_connections        = 400
      connection_budget      = "steady"
    }
  }

  expect_failures = [var.database]
}

# A root pointed at the other environment's project (a copied project_id) stops at the name check, before
# any resource is planned in that project.
run "another_environments_project_is_refused" {
  command = plan

  variables {
    project_id = "12345678-1234-4234-8234-123456789012"
  }

  expect_failures = [data.scaleway_account_project.current]
}

run "a_project_id_that_is_not_a_uuid_is_refused" {
  command = plan

  variables {
    project_id = "evalap-staging"
  }

  expect_failures = [var.project_id]
}

# ---------------------------------------------------------------------------------------------
# Connection budget (infra/README.md, "Connection budget"): a precondition fails the plan.
# ---------------------------------------------------------------------------------------------

run "connection_budget_above_max_connections_is_rejected" {
  command = plan

  # (2 + 1) instances x 5 x 20 + 20 = 320 > 200 (db-dev-s can carry 200).
  variables {
    database = {
      node_type              = "db-dev-s"
      high_availability      = false
      encryption_at_rest     = true
      volume_size_in_gb      = 10
      backup_frequency_hours = 24
      backup_retention_days  = 7
      public_access_cidrs    = []
      max_connections        = 200
      connection_budget      = "steady"
    }
  }

  expect_failures = [terraform_data.connection_budget]
}

run "peak_budget_of_an_elastic_pool_is_rejected" {
  command = plan

  # (5 + 1) instances x 5 x (20 + 40) + 20 = 1820 > 1250.
  variables {
    container = {
      cpu_limit                     = 2240
      memory_limit_bytes            = 4096000000
      min_scale                     = 2
      max_scale                     = 5
      concurrent_requests_threshold = 50
    }
    database = {
      node_type              = "db-pro2-xs"
      high_availability      = true
      encryption_at_rest     = true
      volume_size_in_gb      = 50
      backup_frequency_hours = 24
      backup_retention_days  = 30
      public_access_cidrs    = []
      max_connections        = 1250
      connection_budget      = "peak"
    }
  }

  expect_failures = [terraform_data.connection_budget]
}

run "max_connections_beyond_the_node_memory_is_rejected" {
  command = plan

  # The budget fits (320 <= 1000), but a 2 GB db-dev-s cannot carry 1000 backends.
  variables {
    database = {
      node_type              = "db-dev-s"
      high_availability      = false
      encryption_at_rest     = true
      volume_size_in_gb      = 10
      backup_frequency_hours = 24
      backup_retention_days  = 7
      public_access_cidrs    = []
      max_connections        = 1000
      connection_budget      = "steady"
    }
  }

  expect_failures = [terraform_data.connection_budget]
}

run "unknown_node_type_is_rejected" {
  command = plan

  variables {
    database = {
      node_type              = "db-gpu-xl"
      high_availability      = false
      encryption_at_rest     = true
      volume_size_in_gb      = 10
      backup_frequency_hours = 24
      backup_retention_days  = 7
      public_access_cidrs    = []
      max_connections        = 400
      connection_budget      = "steady"
    }
  }

  expect_failures = [terraform_data.connection_budget]
}

run "pop2_node_memory_is_read_from_its_name" {
  command = plan

  variables {
    database = {
      node_type              = "DB-POP2-2C-8G"
      high_availability      = false
      encryption_at_rest     = true
      volume_size_in_gb      = 10
      backup_frequency_hours = 24
      backup_retention_days  = 7
      public_access_cidrs    = []
      max_connections        = 800
      connection_budget      = "steady"
    }
  }

  assert {
    condition     = output.internals.connection_budget.node_memory_gb == 8 && output.internals.connection_budget.node_max_connections_cap == 800 && module.database.instance.settings["max_parallel_workers"] == "0" && module.database.instance.settings["effective_cache_size"] == "5500"
    error_message = "db-pop2-<cpu>c-<memory>g: the memory is in the name."
  }
}

run "max_connections_outside_the_api_range_is_rejected" {
  command = plan

  variables {
    database = {
      node_type              = "db-dev-m"
      high_availability      = false
      encryption_at_rest     = true
      volume_size_in_gb      = 10
      backup_frequency_hours = 24
      backup_retention_days  = 7
      public_access_cidrs    = []
      max_connections        = 40
      connection_budget      = "steady"
    }
  }

  expect_failures = [var.database]
}

run "unknown_connection_budget_is_rejected" {
  command = plan

  variables {
    database = {
      node_type              = "db-dev-m"
      high_availability      = false
      encryption_at_rest     = true
      volume_size_in_gb      = 10
      backup_frequency_hours = 24
      backup_retention_days  = 7
      public_access_cidrs    = []
      max_connections        = 400
      connection_budget      = "average"
    }
  }

  expect_failures = [var.database]
}

# ---------------------------------------------------------------------------------------------
# Memory tiers (pages/serverless-containers/faq.mdx; 1 MB = 10^6 bytes)
# ---------------------------------------------------------------------------------------------

run "memory_2048_mb_is_accepted" {
  command = plan

  variables {
    container = {
      cpu_limit                     = 1120
      memory_limit_bytes            = 2048000000
      min_scale                     = 0
      max_scale                     = 2
      concurrent_requests_threshold = 50
    }
  }

  assert {
    condition     = alltrue([for c in module.containers.containers : c.memory_limit_bytes == 2048000000])
    error_message = "2048 MB (2048000000 bytes, the API's default) is a tier EvalAP fits in."
  }
}

run "memory_3072_mb_is_accepted" {
  command = plan

  variables {
    container = {
      cpu_limit                     = 1680
      memory_limit_bytes            = 3072000000
      min_scale                     = 0
      max_scale                     = 2
      concurrent_requests_threshold = 50
    }
  }

  assert {
    condition     = alltrue([for c in module.containers.containers : c.memory_limit_bytes == 3072000000])
    error_message = "3072 MB is a tier."
  }
}

run "memory_2_gib_is_not_a_tier" {
  command = plan

  variables {
    container = {
      cpu_limit                     = 2240
      memory_limit_bytes            = 2147483648
      min_scale                     = 0
      max_scale                     = 2
      concurrent_requests_threshold = 50
    }
  }

  expect_failures = [var.container]
}

run "memory_between_tiers_is_rejected" {
  command = plan

  variables {
    container = {
      cpu_limit                     = 2240
      memory_limit_bytes            = 2500000000
      min_scale                     = 0
      max_scale                     = 2
      concurrent_requests_threshold = 50
    }
  }

  expect_failures = [var.container]
}

# The migration runner exists only while `migration` is set (the CLI's migrate), with the API's
# image, environment and private network, and POSTGRES_URL as its only secret.
run "no_migration_runner_by_default" {
  command = apply

  assert {
    condition     = length(module.migration) == 0 && output.migration_runner == null
    error_message = "Without migration there is no runner container."
  }
}

run "migration_runner_when_set" {
  command = apply
  variables {
    images    = { evalap = "rg.fr-par.scw.cloud/evalap/evalap:2.0.0" }
    migration = { id = "m20260101", args = ["upgrade", "head"] }
  }

  assert {
    condition     = module.migration[0].container.image == "rg.fr-par.scw.cloud/evalap/evalap:2.0.0" && module.migration[0].container.private_network_id == module.network.private_network_id
    error_message = "The runner runs the release's API image in the environment's private network."
  }

  assert {
    condition     = module.migration[0].container.environment["DB_NAME"] == module.database.database_name && module.migration[0].container.environment["ENV"] == "prod"
    error_message = "The runner gets the API's plain environment (ENV=prod, DB_NAME)."
  }

  assert {
    condition     = nonsensitive(keys(module.migration[0].secret_environment_keys)) == ["POSTGRES_URL"]
    error_message = "POSTGRES_URL is the runner's only secret."
  }

  assert {
    condition     = output.migration_runner.id == "m20260101" && startswith(output.migration_runner.url, "https://")
    error_message = "The platform outputs the runner's id and URL for the CLI."
  }
}
