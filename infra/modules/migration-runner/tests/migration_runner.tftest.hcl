mock_provider "scaleway" {
  mock_resource "scaleway_container" {
    defaults = {
      id              = "fr-par/55555555-5555-5555-5555-555555555555"
      public_endpoint = "evalapstagingabc-migrate-m1.functions.fnc.fr-par.scw.cloud"
    }
  }
}

variables {
  namespace_id       = "fr-par/44444444-4444-4444-4444-444444444444"
  private_network_id = "fr-par/22222222-2222-2222-2222-222222222222"
  image              = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
  environment        = { ENV = "prod", DB_NAME = "evalap", PYTHONPATH = "." }
  secret_environment = { POSTGRES_URL = "postgresql+psycopg2://u:p@10.0.0.2:5432" }
  migration          = { id = "m1", args = ["upgrade", "head"] }
}

run "private_runner_in_the_private_network" {
  command = apply

  assert {
    condition     = output.container.privacy == "private" && output.container.private_network_id == "fr-par/22222222-2222-2222-2222-222222222222"
    error_message = "The runner must be private and in the environment's private network (the database has only a private endpoint)."
  }

  assert {
    condition     = output.container.min_scale == 1 && output.container.max_scale == 1
    error_message = "Exactly one instance, always up: a scale to zero would cut Alembic mid-run."
  }

  assert {
    condition     = output.container.command[0] == "python3" && output.container.command[1] == "-c" && strcontains(output.container.command[2], "pg_advisory_lock(%s)") && strcontains(output.container.command[2], "LOCK_KEY = 726173")
    error_message = "The command runs the runner script with the advisory lock key rendered in."
  }

  assert {
    condition     = output.container.args == tolist(["upgrade", "head"]) && output.container.name == "migrate-m1"
    error_message = "Alembic's arguments are the container's args; its name carries the run id."
  }

  assert {
    condition     = output.container.environment["MIGRATION_ID"] == "m1" && output.container.environment["DB_NAME"] == "evalap"
    error_message = "The runner gets the API's environment and its run id."
  }

  assert {
    condition     = output.runner.url == "https://evalapstagingabc-migrate-m1.functions.fnc.fr-par.scw.cloud" && output.runner.id == "m1"
    error_message = "The CLI reads the runner at its https URL."
  }
}

run "bad_id_refused" {
  command = plan
  variables {
    migration = { id = "Upgrade_Now", args = ["upgrade", "head"] }
  }
  expect_failures = [var.migration]
}

run "unknown_alembic_command_refused" {
  command = plan
  variables {
    migration = { id = "m2", args = ["stamp", "head"] }
  }
  expect_failures = [var.migration]
}

run "postgres_url_required" {
  command = plan
  variables {
    secret_environment = { DATABASE_URL = "postgresql://u:p@h/evalap" }
  }
  expect_failures = [var.secret_environment]
}
