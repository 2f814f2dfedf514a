mock_provider "scaleway" {
  mock_resource "scaleway_secret" {
    defaults = {
      id = "fr-par/77777777-7777-7777-7777-777777777777"
    }
  }
}

variables {
  name_prefix = "evalap-staging"
  path        = "/evalap/staging"
  project_id  = "99999999-9999-9999-9999-999999999999"
  secrets = {
    ADMIN_TOKEN    = { protected = true }
    OPENAI_API_KEY = {}
  }
}

run "secret_shells_only" {
  command = apply

  assert {
    condition     = scaleway_secret.this["ADMIN_TOKEN"].name == "evalap-staging-admin-token" && scaleway_secret.this["OPENAI_API_KEY"].name == "evalap-staging-openai-api-key"
    error_message = "Secret names derive from the environment variable names."
  }

  assert {
    condition     = alltrue([for s in scaleway_secret.this : s.path == "/evalap/staging"])
    error_message = "Every secret lives under the environment path."
  }

  assert {
    condition     = scaleway_secret.this["ADMIN_TOKEN"].protected == true && scaleway_secret.this["OPENAI_API_KEY"].protected == false
    error_message = "Protection follows the definition."
  }

  # Values are Secret Manager's (written by the CLI): no value is given here (the old module required
  # var.values), and a mock of scaleway_secret_version would be unused.
  assert {
    condition     = length(scaleway_secret.this) == 2
    error_message = "The module creates one secret shell per name."
  }

  assert {
    condition     = output.secret_names == { ADMIN_TOKEN = "evalap-staging-admin-token", OPENAI_API_KEY = "evalap-staging-openai-api-key" } && output.secret_paths["ADMIN_TOKEN"] == "/evalap/staging" && output.path == "/evalap/staging"
    error_message = "secret_names, secret_paths and path outputs stay."
  }

  assert {
    condition     = contains(scaleway_secret.this["ADMIN_TOKEN"].tags, "env-var:ADMIN_TOKEN")
    error_message = "Each secret is tagged with the environment variable it feeds (the CLI finds them by it)."
  }

  assert {
    condition     = output.secret_ids["ADMIN_TOKEN"] == "fr-par/77777777-7777-7777-7777-777777777777"
    error_message = "secret_ids output keyed by variable name."
  }
}

run "lowercase_key_is_rejected" {
  command = plan

  variables {
    secrets = {
      admin_token = {}
    }
  }

  expect_failures = [var.secrets]
}

run "relative_path_is_rejected" {
  command = plan

  variables {
    path = "evalap/staging"
  }

  expect_failures = [var.path]
}
