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

variables {
  images               = { evalap = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3" }
  state_passphrase     = "mock-passphrase-for-tests-only"
  alert_contact_emails = ["oncall@evalap.beta.gouv.fr"]
  project_id           = "99999999-9999-9999-9999-999999999999"
  project_name         = "evalap-mock"
}

# The cases that hold for every environment (images without the evalap key or with :latest,
# memory < 2 GiB, app_secret_names...) are rejected by ../modules/evalap-platform/variables.tf and
# tested in ../modules/evalap-platform/tests: a root test can only expect failures of the root's
# own variables. The root's tests read the composed modules through module.platform.internals.

run "evalap_as_it_really_runs" {
  command = apply

  assert {
    condition     = output.environment == "staging"
    error_message = "The root deploys the staging environment."
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
    condition     = module.platform.internals.containers["evalap"].port == 8000 && module.platform.internals.containers["evalap-ui"].port == 8501
    error_message = "API on 8000, Streamlit on 8501."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : c.liveness_path != "/health" && c.startup_path != "/health"])
    error_message = "No probe may target /health: EvalAP does not serve it."
  }

  assert {
    condition     = module.platform.internals.containers["evalap"].liveness_path == "/openapi.json" && module.platform.internals.containers["evalap"].startup_path == "/openapi.json" && module.platform.internals.containers["evalap-ui"].liveness_path == "/_stcore/health" && module.platform.internals.containers["evalap-ui"].startup_path == "/_stcore/health"
    error_message = "Probes on the right paths."
  }

  assert {
    condition     = length(distinct([for c in module.platform.internals.containers : c.image])) == 1
    error_message = "One image for every service."
  }

  assert {
    condition     = module.platform.internals.containers["evalap"].command == tolist(["supervisord", "-c", "/app/supervisord.conf"])
    error_message = "API and runner run together under the image's supervisord (ZeroMQ over localhost)."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : c.environment["ENV"] == "prod"])
    error_message = "ENV must be prod (EvalAP asserts on any other value)."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : c.environment["DB_NAME"] == "evalap"])
    error_message = "DB_NAME is set in plain environment."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : contains([2048000000, 3072000000, 4096000000], c.memory_limit_bytes)])
    error_message = "Every container gets a Serverless Containers memory tier of 2048 MB or more (1 MB = 10^6 bytes)."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : length(setintersection(toset(keys(c.environment)), toset(["POSTGRES_URL", "ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY"]))) == 0])
    error_message = "Secrets must never be in plain environment variables."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : toset(c.secret_environment_keys) == toset(["POSTGRES_URL", "ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY"])])
    error_message = "POSTGRES_URL and the app secrets are secret environment variables."
  }

  assert {
    condition     = toset(keys(module.platform.internals.secret_reads.app)) == toset(["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY"]) && module.platform.internals.secret_reads.app["ADMIN_TOKEN"].secret_id == output.secret_ids["ADMIN_TOKEN"] && module.platform.internals.secret_reads.postgres_url.secret_id == output.secret_ids["POSTGRES_URL"]
    error_message = "Secret values come from Secret Manager (base64-decoded data source), not from the variable directly."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : c.private_network_id == output.network.private_network_id])
    error_message = "Containers reach the database over the private network."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : c.min_scale == 0])
    error_message = "Staging may scale to zero."
  }

  assert {
    condition     = module.platform.internals.database_instance.high_availability == false && module.platform.internals.database_instance.backup_retention_days == 7 && module.platform.internals.database_instance.backup_enabled
    error_message = "Staging: no HA, short backup retention."
  }

  assert {
    condition     = module.platform.internals.database_instance.engine == "PostgreSQL-16" && module.platform.internals.database_instance.encryption_at_rest
    error_message = "PostgreSQL 16, encrypted at rest."
  }

  assert {
    condition = (
      module.platform.internals.database_instance.node_type == "db-dev-m" &&
      module.platform.internals.database_instance.max_connections == "400" &&
      module.platform.internals.connection_budget.mode == "steady" &&
      module.platform.internals.connection_budget.needed == 320
    )
    error_message = "Staging's steady connection budget, (2 API + 1 UI instances) x 5 processes x 20 + 20 = 320, fits in max_connections = 400 on a db-dev-m (4 GB); a db-dev-s (2 GB, 200) does not carry it."
  }

  assert {
    condition     = module.platform.internals.database_instance.prevent_destroy == false
    error_message = "Staging's database can be destroyed (the CLI's guard still asks for --allow-destroy)."
  }

  assert {
    condition     = module.platform.internals.database_instance.public_endpoint == false && output.database.public_endpoint == false && output.database.private
    error_message = "No public database endpoint unless CIDRs are given."
  }

  assert {
    condition     = alltrue([for p in values(module.platform.internals.secret_paths) : p == "/evalap/staging"]) && output.secret_path == "/evalap/staging"
    error_message = "Secrets live under /evalap/staging."
  }

  assert {
    condition     = toset(keys(output.secret_ids)) == toset(["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY", "POSTGRES_URL", "DB_APP_CREDENTIALS", "DB_ADMIN_PASSWORD"])
    error_message = "secret_ids exposes every secret by variable name."
  }

  assert {
    condition     = output.secret_revisions == { ADMIN_TOKEN = 2, EVALAP_FRONTEND_TOKEN = 2, OPENAI_API_KEY = 2, POSTGRES_URL = 1, DB_APP_CREDENTIALS = 2 } && !issensitive(output.secret_revisions)
    error_message = "secret_revisions (what secrets list compares with the latest enabled versions) is passed through, non-sensitive, for the default app secrets (ADMIN_TOKEN, EVALAP_FRONTEND_TOKEN, OPENAI_API_KEY), POSTGRES_URL and DB_APP_CREDENTIALS."
  }

  assert {
    condition     = output.state_bucket == "evalap-tfstate-staging" && output.registry_endpoint == "rg.fr-par.scw.cloud/evalap"
    error_message = "state_bucket and registry_endpoint outputs."
  }
}

run "ui_can_be_disabled" {
  command = apply

  variables {
    enable_ui = false
  }

  assert {
    condition     = toset(keys(output.services)) == toset(["evalap"])
    error_message = "Without the UI only the API+runner container remains."
  }
}

run "public_database_needs_acl_cidrs" {
  command = apply

  variables {
    database = {
      public_access_cidrs = ["203.0.113.10/32"]
    }
  }

  assert {
    condition     = module.platform.internals.database_instance.acl_cidrs == ["203.0.113.10/32"] && output.database.public_endpoint
    error_message = "A public staging endpoint is ACL-restricted."
  }
}

run "short_passphrase_is_rejected" {
  command = plan

  variables {
    state_passphrase = "mock-short"
  }

  expect_failures = [var.state_passphrase]
}

run "long_backup_retention_is_rejected_in_staging" {
  command = plan

  variables {
    database = { backup_retention_days = 30 }
  }

  expect_failures = [var.database]
}

run "invalid_state_bucket_is_rejected" {
  command = plan

  variables {
    state_bucket = "Not_A_Bucket"
  }

  expect_failures = [var.state_bucket]
}

run "zero_backup_retention_is_rejected_in_staging" {
  command = plan

  variables {
    database = { backup_retention_days = 0 }
  }

  expect_failures = [var.database]
}
