mock_provider "scaleway" {
  # No mocked bucket region: the region must come from the configuration (a region left to the
  # provider default, SCW_DEFAULT_REGION, would be a random mock value and fail the assertion).
  mock_resource "scaleway_registry_namespace" {
    defaults = {
      id       = "fr-par/33333333-3333-3333-3333-333333333333"
      endpoint = "rg.fr-par.scw.cloud/evalap"
    }
  }
}

variables {
  admin_principals = ["user_id:aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"]
  ci_principals = {
    production = ["application_id:bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"]
  }
}

run "one_bucket_per_environment_and_shared_registry" {
  command = apply

  assert {
    condition     = output.state_buckets == { staging = "evalap-tfstate-staging", production = "evalap-tfstate-production" }
    error_message = "A state bucket per environment."
  }

  assert {
    condition     = alltrue([for m in module.state_backend : m.bucket_name != ""])
    error_message = "Buckets are created by the state-backend module."
  }

  assert {
    condition     = output.registry_endpoint == "rg.fr-par.scw.cloud/evalap"
    error_message = "The shared registry endpoint is exported."
  }

  assert {
    condition     = alltrue([for m in module.state_backend : m.region == "fr-par"]) && output.state_region == "fr-par"
    error_message = "The state buckets are made in fr-par, the region of the roots' s3 backends, whatever SCW_DEFAULT_REGION says."
  }
}

run "state_region_other_than_the_backends_is_rejected" {
  command = plan

  variables {
    state_region = "nl-ams"
  }

  expect_failures = [var.state_region]
}

run "shared_bucket_is_rejected" {
  command = plan

  variables {
    state_buckets = {
      staging    = "evalap-tfstate"
      production = "evalap-tfstate"
    }
  }

  expect_failures = [var.state_buckets]
}
