mock_provider "scaleway" {
  mock_resource "scaleway_registry_namespace" {
    defaults = {
      id       = "fr-par/33333333-3333-3333-3333-333333333333"
      endpoint = "rg.fr-par.scw.cloud/evalap"
    }
  }
}

variables {
  name = "evalap"
}

run "private_namespace" {
  command = apply

  assert {
    condition     = scaleway_registry_namespace.this.is_public == false
    error_message = "The registry namespace must be private."
  }

  assert {
    condition     = output.endpoint == "rg.fr-par.scw.cloud/evalap"
    error_message = "The endpoint output must expose the registry endpoint."
  }
}

run "rejects_invalid_name" {
  command = plan

  variables {
    name = "EvalAP_Images"
  }

  expect_failures = [var.name]
}

run "rejects_invalid_project_id" {
  command = plan

  variables {
    project_id = "my-project"
  }

  expect_failures = [var.project_id]
}
