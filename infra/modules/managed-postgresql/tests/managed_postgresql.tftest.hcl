mock_provider "scaleway" {
  mock_resource "scaleway_rdb_instance" {
    defaults = {
      id = "fr-par/66666666-6666-6666-6666-666666666666"
    }
  }
  mock_resource "scaleway_secret" {
    defaults = {
      id = "fr-par/77777777-7777-7777-7777-777777777777"
    }
  }
  mock_resource "scaleway_secret_version" {
    defaults = {
      revision = "1"
    }
  }
  # The latest enabled credentials version, as if the CLI had rotated to user _b: POSTGRES_URL must
  # follow it, not the first version OpenTofu wrote. base64 of
  # {"user":"evalap_b","password":"p@ss/w:rd%"} (the provider returns the payload base64-encoded),
  # revision 3 (the provider's id is <region>/<secret id>/<revision>).
  mock_data "scaleway_secret_version" {
    defaults = {
      id   = "fr-par/77777777-7777-7777-7777-777777777777/3"
      data = "eyJ1c2VyIjoiZXZhbGFwX2IiLCJwYXNzd29yZCI6InBAc3MvdzpyZCUifQ=="
    }
  }
}

variables {
  name               = "evalap-production"
  node_type          = "db-pro2-xs"
  high_availability  = true
  private_network_id = "fr-par/22222222-2222-2222-2222-222222222222"
  secret_path        = "/evalap/production"
  backup = {
    retention_days = 30
  }
}

run "private_ha_encrypted_instance" {
  command = apply

  assert {
    condition     = scaleway_rdb_instance.this.engine == "PostgreSQL-16"
    error_message = "PostgreSQL 16 by default."
  }

  assert {
    condition     = scaleway_rdb_instance.this.is_ha_cluster == true
    error_message = "HA must be on when asked for."
  }

  assert {
    condition     = scaleway_rdb_instance.this.encryption_at_rest == true
    error_message = "Encryption at rest must be on by default."
  }

  assert {
    condition     = length(scaleway_rdb_instance.this.load_balancer) == 0
    error_message = "A private-only database must not declare a public load_balancer endpoint."
  }

  assert {
    condition     = scaleway_rdb_instance.this.private_network[0].enable_ipam == true && scaleway_rdb_instance.this.private_network[0].pn_id == var.private_network_id
    error_message = "The private endpoint must use IPAM on the given private network."
  }

  assert {
    condition     = scaleway_rdb_instance.this.backup_schedule_retention == 30 && scaleway_rdb_instance.this.disable_backup == false
    error_message = "Automated backups must be on with the requested retention."
  }

  assert {
    condition     = length(scaleway_rdb_acl.public) == 0
    error_message = "No ACL without a public endpoint."
  }

  assert {
    condition     = toset([for u in scaleway_rdb_user.app : u.name]) == toset(["evalap_a", "evalap_b"]) && alltrue([for u in scaleway_rdb_user.app : u.is_admin == false])
    error_message = "Two non-admin application users, evalap_a and evalap_b, take turns."
  }

  assert {
    condition     = length(scaleway_rdb_privilege.app) == 2 && toset([for p in scaleway_rdb_privilege.app : p.user_name]) == toset(["evalap_a", "evalap_b"]) && alltrue([for p in scaleway_rdb_privilege.app : p.permission == "all" && p.database_name == "evalap"])
    error_message = "Both application users get the same privilege on their database (Alembic needs DDL)."
  }

  assert {
    condition     = output.app_user_names == ["evalap_a", "evalap_b"] && output.instance_id == "fr-par/66666666-6666-6666-6666-666666666666"
    error_message = "app_user_names lists both users; instance_id is the regional id the SDK needs."
  }

  assert {
    condition     = jsondecode(nonsensitive(scaleway_secret_version.app_credentials.data)).user == "evalap_a" && jsondecode(nonsensitive(scaleway_secret_version.app_credentials.data)).password == nonsensitive(terraform_data.app_password["a"].output)
    error_message = "The first credentials version is user _a with its initial password."
  }

  assert {
    condition     = data.scaleway_secret_version.app_credentials.revision == "latest_enabled" && data.scaleway_secret_version.app_credentials.secret_id == scaleway_secret.db["db-app-credentials"].id
    error_message = "The credentials are read from the latest enabled version."
  }

  assert {
    condition     = output.secret_revisions == { "postgres-url" = "1", "db-app-credentials" = "3" }
    error_message = "secret_revisions gives the two revisions the containers depend on: postgres-url and the credentials it was derived from."
  }

  assert {
    condition     = nonsensitive(output.connection.db_name) == "evalap"
    error_message = "DB_NAME contract."
  }

  # Derived from the latest enabled credentials (the mock's evalap_b, password URL-encoded) and the
  # private endpoint.
  assert {
    condition     = nonsensitive(output.connection.postgres_url) == "postgresql+psycopg2://evalap_b:p%40ss%2Fw%3Ard%25@${scaleway_rdb_instance.this.private_network[0].ip}:${scaleway_rdb_instance.this.private_network[0].port}" && nonsensitive(scaleway_secret_version.postgres_url.data) == nonsensitive(output.connection.postgres_url)
    error_message = "POSTGRES_URL (psycopg2 driver) is derived from the latest enabled credentials and the endpoint."
  }

  assert {
    condition     = !endswith(nonsensitive(output.connection.postgres_url), "/evalap") && !strcontains(replace(nonsensitive(output.connection.postgres_url), "postgresql+psycopg2://", ""), "/")
    error_message = "POSTGRES_URL must not contain the database name (EvalAP appends DB_NAME itself)."
  }

  assert {
    condition     = alltrue([for p in terraform_data.app_password : length(nonsensitive(p.output)) >= 16 && can(regex("[A-Z]", nonsensitive(p.output))) && can(regex("[a-z]", nonsensitive(p.output))) && can(regex("[0-9]", nonsensitive(p.output))) && can(regex("[^A-Za-z0-9]", nonsensitive(p.output)))])
    error_message = "The generated passwords must satisfy the RDB password policy."
  }

  assert {
    condition     = length(toset([terraform_data.app_password["a"].output, terraform_data.app_password["b"].output, terraform_data.admin_password.output])) == 3
    error_message = "Admin and both application passwords must differ."
  }

  assert {
    condition     = toset(keys(output.secret_ids)) == toset(["postgres-url", "db-app-credentials", "db-admin-password"])
    error_message = "The database secrets are postgres-url, db-app-credentials and db-admin-password (no db-app-password: rotation is the CLI's)."
  }

  assert {
    condition     = alltrue([for s in scaleway_secret.db : s.path == "/evalap/production"])
    error_message = "Credential secrets live under the environment path."
  }
}

run "public_staging_instance_gets_an_acl" {
  command = apply

  variables {
    name               = "evalap-staging"
    node_type          = "db-dev-s"
    high_availability  = false
    private_network_id = null
    secret_path        = "/evalap/staging"
    public_access = {
      enabled       = true
      allowed_cidrs = ["203.0.113.0/24"]
    }
  }

  assert {
    condition     = length(scaleway_rdb_instance.this.load_balancer) == 1
    error_message = "A public endpoint was asked for."
  }

  assert {
    condition     = length(scaleway_rdb_acl.public) == 1 && scaleway_rdb_acl.public[0].acl_rules[0].ip == "203.0.113.0/24"
    error_message = "A public endpoint must be restricted by an ACL."
  }
}

run "world_open_acl_is_rejected" {
  command = plan

  variables {
    public_access = {
      enabled       = true
      allowed_cidrs = ["0.0.0.0/0"]
    }
  }

  expect_failures = [var.public_access]
}

run "public_without_acl_is_rejected" {
  command = plan

  variables {
    public_access = {
      enabled = true
    }
  }

  expect_failures = [var.public_access]
}

run "old_engine_is_rejected" {
  command = plan

  variables {
    engine = "PostgreSQL-12"
  }

  expect_failures = [var.engine]
}

run "volume_size_must_be_multiple_of_5" {
  command = plan

  variables {
    volume = {
      size_in_gb = 12
    }
  }

  expect_failures = [var.volume]
}

run "backup_retention_bounds" {
  command = plan

  variables {
    backup = {
      retention_days = 0
    }
  }

  expect_failures = [var.backup]
}

run "unreachable_database_is_rejected" {
  command = plan

  variables {
    private_network_id = null
  }

  expect_failures = [scaleway_rdb_instance.this]
}

run "all_reported_settings_reach_the_instance" {
  command = plan

  variables {
    settings = {
      max_connections                 = "400"
      effective_cache_size            = "2700"
      maintenance_work_mem            = "300"
      work_mem                        = "8"
      max_parallel_workers            = "1"
      max_parallel_workers_per_gather = "0"
    }
  }

  assert {
    condition     = scaleway_rdb_instance.this.settings["max_connections"] == "400" && length(scaleway_rdb_instance.this.settings) == 6 && output.instance.max_connections == "400"
    error_message = "The six settings go to the instance."
  }
}

# The provider reads back the six settings a PostgreSQL instance reports: max_connections alone
# would plan the five others away on every run (and restart the instance on every apply).
run "partial_settings_are_rejected" {
  command = plan

  variables {
    settings = { max_connections = "400" }
  }

  expect_failures = [var.settings]
}

# A password the CLI set later must never be put back by an apply. Here the password input of the
# users changes (an override of their generator's output) after the apply of the run above: with
# ignore_changes = [password] the planned password stays the applied one, i.e. no update of the user.
run "rotated_password_is_not_reverted" {
  command = plan

  variables {
    name               = "evalap-staging"
    node_type          = "db-dev-s"
    high_availability  = false
    private_network_id = null
    secret_path        = "/evalap/staging"
    public_access = {
      enabled       = true
      allowed_cidrs = ["203.0.113.0/24"]
    }
  }

  override_resource {
    target = terraform_data.app_password
    values = { output = "Ev9_ANOTHERPASSWORD.fromtheoverride" }
  }

  assert {
    condition     = nonsensitive(terraform_data.app_password["a"].output) == "Ev9_ANOTHERPASSWORD.fromtheoverride" && alltrue([for u in scaleway_rdb_user.app : nonsensitive(u.password) != "Ev9_ANOTHERPASSWORD.fromtheoverride"])
    error_message = "A changed password input must not update the user (ignore_changes = [password])."
  }
}
