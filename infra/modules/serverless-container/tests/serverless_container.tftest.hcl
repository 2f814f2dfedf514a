mock_provider "scaleway" {
  mock_resource "scaleway_container_namespace" {
    defaults = {
      id = "fr-par/44444444-4444-4444-4444-444444444444"
    }
  }
  mock_resource "scaleway_container" {
    defaults = {
      id              = "fr-par/55555555-5555-5555-5555-555555555555"
      public_endpoint = "https://evalapstagingabc-api.functions.fnc.fr-par.scw.cloud"
    }
  }
}

variables {
  namespace_name     = "evalap-test"
  private_network_id = "fr-par/22222222-2222-2222-2222-222222222222"
  services = {
    api = {
      image              = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
      port               = 8000
      health_path        = "/openapi.json"
      min_scale          = 2
      max_scale          = 4
      memory_limit_bytes = 4096000000
      environment        = { ENV = "prod", DB_NAME = "evalap" }
    }
  }
  secret_environment = {
    api = { ADMIN_TOKEN = "mock-admin-token-for-tests" }
  }
}

run "container_uses_current_arguments" {
  command = apply

  assert {
    condition     = scaleway_container.this["api"].image == "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
    error_message = "The container must use the image argument (registry_image is deprecated)."
  }

  assert {
    condition     = scaleway_container.this["api"].memory_limit_bytes == 4096000000
    error_message = "Memory must be set with memory_limit_bytes (memory_limit is deprecated)."
  }

  assert {
    condition     = scaleway_container.this["api"].liveness_probe[0].http[0].path == "/openapi.json"
    error_message = "The liveness probe must hit the service's health path."
  }

  assert {
    condition     = scaleway_container.this["api"].startup_probe[0].http[0].path == "/openapi.json"
    error_message = "The startup probe must hit the service's health path."
  }

  assert {
    condition     = length(scaleway_container.this["api"].health_check) == 0
    error_message = "The deprecated health_check block must not be used."
  }

  assert {
    condition     = scaleway_container.this["api"].private_network_id == "fr-par/22222222-2222-2222-2222-222222222222"
    error_message = "The container must attach to the private network."
  }

  assert {
    condition     = scaleway_container.this["api"].https_connections_only == true
    error_message = "HTTPS only by default."
  }

  assert {
    condition     = one(scaleway_container.this["api"].scaling_option).concurrent_requests_threshold == 50
    error_message = "Scaling on concurrent requests with the default threshold."
  }

  assert {
    condition     = !contains(keys(scaleway_container.this["api"].environment_variables), "ADMIN_TOKEN")
    error_message = "Secrets must not appear in plain environment variables."
  }

  assert {
    condition     = contains(keys(nonsensitive(scaleway_container.this["api"].secret_environment_variables)), "ADMIN_TOKEN")
    error_message = "Secrets must be set as secret environment variables."
  }

  assert {
    condition = output.services == {
      api = {
        url         = "https://evalapstagingabc-api.functions.fnc.fr-par.scw.cloud"
        health_path = "/openapi.json"
        id          = "fr-par/55555555-5555-5555-5555-555555555555"
        expect      = { json = false, contains = tostring(null) }
      }
    }
    error_message = "The services output is the CLI contract: name => { url, health_path, id, expect }; no expect means no body check."
  }
}

run "body_expectation_is_published" {
  command = apply

  variables {
    services = {
      api = {
        image       = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
        port        = 8000
        health_path = "/openapi.json"
        expect      = { json = true, contains = "\"openapi\"" }
      }
      ui = {
        image       = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
        port        = 8501
        health_path = "/_stcore/health"
        expect      = { contains = "ok" }
      }
    }
    secret_environment = {}
  }

  assert {
    condition     = output.services["api"].expect == { json = true, contains = "\"openapi\"" }
    error_message = "expect is published as given."
  }

  assert {
    condition     = output.services["ui"].expect.json == false && output.services["ui"].expect.contains == "ok"
    error_message = "An unset expect.json is false."
  }
}

run "empty_expected_text_is_rejected" {
  command = plan

  variables {
    services = {
      api = {
        image       = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
        port        = 8000
        health_path = "/openapi.json"
        expect      = { contains = "" }
      }
    }
    secret_environment = {}
  }

  expect_failures = [var.services]
}

run "secret_in_plain_environment_is_rejected" {
  command = plan

  variables {
    services = {
      api = {
        image       = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
        port        = 8000
        health_path = "/openapi.json"
        environment = { OPENAI_API_KEY = "mock-value" }
      }
    }
  }

  expect_failures = [var.services]
}

run "latest_tag_is_rejected" {
  command = plan

  variables {
    services = {
      api = {
        image       = "rg.fr-par.scw.cloud/evalap/evalap:latest"
        port        = 8000
        health_path = "/openapi.json"
      }
    }
  }

  expect_failures = [var.services]
}

run "min_scale_above_max_is_rejected" {
  command = plan

  variables {
    services = {
      api = {
        image       = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
        port        = 8000
        health_path = "/openapi.json"
        min_scale   = 3
        max_scale   = 2
      }
    }
  }

  expect_failures = [var.services]
}

run "relative_health_path_is_rejected" {
  command = plan

  variables {
    services = {
      api = {
        image       = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
        port        = 8000
        health_path = "openapi.json"
      }
    }
  }

  expect_failures = [var.services]
}

run "bad_probe_duration_is_rejected" {
  command = plan

  variables {
    services = {
      api = {
        image          = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
        port           = 8000
        health_path    = "/openapi.json"
        liveness_probe = { interval = "ten seconds" }
      }
    }
  }

  expect_failures = [var.services]
}

run "private_network_required_when_asked" {
  command = plan

  variables {
    private_network_id = null
  }

  expect_failures = [scaleway_container.this["api"]]
}

run "duplicate_plain_and_secret_variable_is_rejected" {
  command = plan

  variables {
    services = {
      api = {
        image       = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3"
        port        = 8000
        health_path = "/openapi.json"
        environment = { DB_NAME = "evalap" }
      }
    }
    secret_environment = {
      api = { DB_NAME = "mock-value" }
    }
  }

  expect_failures = [scaleway_container.this["api"]]
}
