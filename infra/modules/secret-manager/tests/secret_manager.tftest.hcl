mock_provider "scaleway" {
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
}

variables {
  name_prefix = "evalap-staging"
  path        = "/evalap/staging"
  project_id  = "99999999-9999-9999-9999-999999999999"
  secrets = {
    ADMIN_TOKEN    = { protected = true }
    OPENAI_API_KEY = {}
  }
  values = {
    ADMIN_TOKEN    = "mock-admin-token-for-tests"
    OPENAI_API_KEY = "mock-openai-key-for-tests"
  }
}

run "secrets_and_versions" {
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

  assert {
    condition     = length(scaleway_secret_version.this) == 2
    error_message = "Each secret gets a version."
  }

  assert {
    condition     = output.secret_ids["ADMIN_TOKEN"] == "fr-par/77777777-7777-7777-7777-777777777777"
    error_message = "secret_ids output keyed by variable name."
  }
}

run "missing_value_is_rejected" {
  command = plan

  variables {
    values = {
      ADMIN_TOKEN = "mock-admin-token-for-tests"
    }
  }

  expect_failures = [scaleway_secret_version.this["OPENAI_API_KEY"]]
}

run "empty_value_is_rejected" {
  command = plan

  variables {
    values = {
      ADMIN_TOKEN    = ""
      OPENAI_API_KEY = "mock-openai-key-for-tests"
    }
  }

  expect_failures = [var.values]
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
