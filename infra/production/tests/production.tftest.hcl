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

run "production_invariants" {
  command = apply

  assert {
    condition     = output.environment == "production"
    error_message = "The root deploys the production environment."
  }

  assert {
    condition     = toset(keys(output.services)) == toset(["evalap", "evalap-ui"])
    error_message = "API+runner and UI containers are deployed."
  }

  assert {
    condition     = module.platform.internals.containers["evalap"].min_scale >= 2
    error_message = "Production runs at least 2 instances of the API (FR-002)."
  }

  assert {
    condition     = module.platform.internals.containers["evalap-ui"].min_scale == 1 && module.platform.internals.containers["evalap-ui"].max_scale == 1
    error_message = "The Streamlit UI is the exception: exactly one replica, since Serverless Containers has no session affinity and a session's uploads live in one process."
  }

  assert {
    condition     = output.services["evalap"].health_path == "/openapi.json" && output.services["evalap-ui"].health_path == "/_stcore/health"
    error_message = "Health paths must be ones EvalAP serves; there is no /health."
  }

  assert {
    condition = (
      output.services["evalap"].expect == { json = true, contains = "\"openapi\"" } &&
      output.services["evalap-ui"].expect == { json = false, contains = "ok" }
    )
    error_message = "Health answers are checked beyond the status: the API's schema is JSON with an openapi key, the UI's health says ok."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : c.liveness_path == c.startup_path && c.liveness_path != "/health"])
    error_message = "Liveness and startup probes hit the service's health path, never /health."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : c.environment["ENV"] == "prod" && c.environment["DB_NAME"] == "evalap"])
    error_message = "ENV=prod and DB_NAME in plain environment."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : contains(c.secret_environment_keys, "POSTGRES_URL") && !contains(keys(c.environment), "POSTGRES_URL")])
    error_message = "POSTGRES_URL only as a secret environment variable."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : contains([2048000000, 3072000000, 4096000000], c.memory_limit_bytes)])
    error_message = "Every container gets a Serverless Containers memory tier of 2048 MB or more (1 MB = 10^6 bytes)."
  }

  assert {
    condition     = alltrue([for c in module.platform.internals.containers : c.image == "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"])
    error_message = "Production runs the image reference the CLI passes (promoted from staging)."
  }

  assert {
    condition     = module.platform.internals.database_instance.high_availability
    error_message = "Production database must be HA."
  }

  assert {
    condition     = module.platform.internals.database_instance.public_endpoint == false && module.platform.internals.database_instance.private_ipam && output.database.private && !output.database.public_endpoint
    error_message = "Production database is private (IPAM endpoint) with no public endpoint."
  }

  assert {
    condition     = module.platform.internals.database_instance.encryption_at_rest
    error_message = "Production database is encrypted at rest."
  }

  assert {
    condition     = module.platform.internals.database_instance.backup_enabled && module.platform.internals.database_instance.backup_retention_days == 30
    error_message = "Production keeps daily backups for 30 days."
  }

  assert {
    condition     = module.platform.internals.database_instance.node_type == "db-pro2-xs"
    error_message = "Production uses the tfvars node type."
  }

  assert {
    condition     = module.platform.internals.database_instance.prevent_destroy
    error_message = "Production's database instance and database carry prevent_destroy: no plan may delete or replace them."
  }

  assert {
    condition     = module.platform.internals.containers["evalap"].min_scale == module.platform.internals.containers["evalap"].max_scale && module.platform.internals.containers["evalap"].min_scale == 3
    error_message = "Production's API + runner instances are a fixed pool (min_scale = max_scale = 3): a scale-in would kill the runner's evaluations."
  }

  assert {
    condition = (
      module.platform.internals.connection_budget.mode == "peak" &&
      module.platform.internals.connection_budget.needed == 1220 &&
      module.platform.internals.connection_budget.needed <= module.platform.internals.connection_budget.max_connections &&
      module.platform.internals.database_instance.max_connections == "1250" &&
      module.platform.internals.connection_budget.node_max_connections_cap == 1600
    )
    error_message = "Production's peak connection budget, (3 API + 1 UI instances) x 5 processes x (20 + 40) + 20 = 1220, fits in max_connections = 1250, set on the db-pro2-xs instance (16 GB, up to 1600)."
  }

  assert {
    condition     = alltrue([for p in values(module.platform.internals.secret_paths) : p == "/evalap/production"]) && output.secret_path == "/evalap/production"
    error_message = "Secrets live under /evalap/production, apart from staging."
  }

  assert {
    condition     = toset(keys(output.secret_revisions)) == toset(["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY", "USER_API_KEYS", "POSTGRES_URL", "DB_APP_CREDENTIALS"]) && toset(keys(module.platform.internals.secret_reads.app)) == toset(["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY", "USER_API_KEYS"]) && alltrue([for k, v in module.platform.internals.secret_reads.app : output.secret_revisions[k] == tonumber(v.revision)]) && !issensitive(output.secret_revisions)
    error_message = "secret_revisions (what secrets list compares with the latest enabled versions) is passed through, non-sensitive, for the default app secrets (with USER_API_KEYS), POSTGRES_URL and DB_APP_CREDENTIALS."
  }

  assert {
    condition     = output.state_bucket == "evalap-tfstate-production"
    error_message = "Production has its own state bucket."
  }
}

# Last apply of this file: tofu test destroys what the runs applied once they are done, with the
# variables of the last run, and prevent_destroy (production's default, asserted above) refuses
# that destroy, as it refuses any plan that deletes the database. Turning it off is the reviewed
# change an operator would make.
run "database_protection_can_be_turned_off_by_a_reviewed_change" {
  command = apply

  variables {
    prevent_database_destroy = false
  }

  assert {
    condition     = module.platform.internals.database_instance.prevent_destroy == false
    error_message = "prevent_database_destroy = false lifts prevent_destroy."
  }
}

run "min_scale_below_two_is_rejected" {
  command = plan

  variables {
    container = { min_scale = 1 }
  }

  expect_failures = [var.container]
}

run "elastic_api_pool_is_rejected" {
  command = plan

  # The former production scaling: 2 to 5 instances. Scaling in kills the runner's evaluations.
  variables {
    container = { min_scale = 2, max_scale = 5 }
  }

  expect_failures = [var.container]
}

run "steady_connection_budget_is_rejected" {
  command = plan

  variables {
    database = { connection_budget = "steady" }
  }

  expect_failures = [var.database]
}

run "scale_to_zero_is_rejected" {
  command = plan

  variables {
    container = { min_scale = 0 }
  }

  expect_failures = [var.container]
}

run "non_ha_database_is_rejected" {
  command = plan

  variables {
    database = { high_availability = false }
  }

  expect_failures = [var.database]
}

run "public_database_is_rejected" {
  command = plan

  variables {
    database = { public_access_cidrs = ["203.0.113.10/32"] }
  }

  expect_failures = [var.database]
}

run "unencrypted_database_is_rejected" {
  command = plan

  variables {
    database = { encryption_at_rest = false }
  }

  expect_failures = [var.database]
}

run "short_backup_retention_is_rejected" {
  command = plan

  variables {
    database = { backup_retention_days = 7 }
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

run "dev_node_type_is_rejected" {
  command = plan

  variables {
    database = { node_type = "db-dev-s" }
  }

  expect_failures = [var.database]
}

run "short_passphrase_is_rejected" {
  command = plan

  variables {
    state_passphrase = "mock-short"
  }

  expect_failures = [var.state_passphrase]
}

run "open_api_is_rejected" {
  command = plan

  variables {
    app_secret_names = ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY"]
  }

  expect_failures = [var.app_secret_names]
}
