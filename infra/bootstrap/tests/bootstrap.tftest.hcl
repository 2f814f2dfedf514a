mock_provider "scaleway" {
  # No mocked bucket region: the region must come from the configuration (a region left to the
  # provider default, SCW_DEFAULT_REGION, would be a random mock value and fail the assertion).
  mock_resource "scaleway_registry_namespace" {
    defaults = {
      id       = "fr-par/33333333-3333-3333-3333-333333333333"
      endpoint = "rg.fr-par.scw.cloud/evalap"
    }
  }
  # One ID for every instance of a resource (OpenTofu overrides whole resources, not instances): the
  # assertions below follow each environment's key through the references instead.
  mock_resource "scaleway_account_project" {
    defaults = {
      id              = "51515151-5151-4151-8151-515151515151"
      organization_id = "00000000-0000-4000-8000-000000000000"
    }
  }
  mock_resource "scaleway_iam_application" {
    defaults = {
      id = "5d5d5d5d-5d5d-4d5d-8d5d-5d5d5d5d5d5d"
    }
  }
  mock_data "scaleway_account_project" {
    defaults = {
      id = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
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
    condition     = output.registry_endpoint == "rg.fr-par.scw.cloud/evalap"
    error_message = "The shared registry endpoint is exported."
  }
}

run "one_project_per_environment" {
  command = apply

  assert {
    condition     = scaleway_account_project.environment["staging"].name == "evalap-staging" && scaleway_account_project.environment["production"].name == "evalap-production"
    error_message = "Each environment gets its own project, named as the roots expect (project_name)."
  }

  assert {
    condition = output.environment_settings["production"] == {
      project_id          = "51515151-5151-4151-8151-515151515151"
      project_name        = "evalap-production"
      registry_project_id = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
      state_bucket        = "evalap-tfstate-production"
    }
    error_message = "environment_settings gives each root what its tfvars need."
  }

  assert {
    condition     = alltrue([for env, m in module.state_backend : m.project_id == scaleway_account_project.environment[env].id])
    error_message = "Each state bucket lives in its environment's project."
  }
}

run "each_environment_is_reachable_only_by_its_own_applications" {
  command = apply

  assert {
    condition = alltrue([for key, p in scaleway_iam_policy.environment : alltrue([
      for r in p.rule : r.organization_id != null ? toset(r.permission_set_names) == toset(["ProjectReadOnly"]) : (
        r.project_ids == tolist([scaleway_account_project.environment[split("/", key)[0]].id]) || toset(r.permission_set_names) == toset(["ContainerRegistryReadOnly"])
      )
    ])])
    error_message = "A deployer manages its own project only; outside it, it reads the registry and the project list, nothing else."
  }

  assert {
    condition     = alltrue([for p in values(scaleway_iam_policy.environment) : alltrue([for r in p.rule : alltrue([for s in r.permission_set_names : !startswith(s, "IAM") && s != "OrganizationManager" && s != "ProjectManager" && !startswith(s, "AllProducts")])])])
    error_message = "No environment application gets IAM, organization or all-products rights."
  }

  assert {
    condition     = alltrue([for k in ["staging/planner", "production/planner", "staging/secrets-reader"] : alltrue([for r in scaleway_iam_policy.environment[k].rule : alltrue([for s in r.permission_set_names : !endswith(s, "FullAccess")])])])
    error_message = "The planner and the secrets reader are read-only (the planner writes only the state lock, through the objects sets)."
  }

  assert {
    condition     = one(scaleway_iam_policy.environment["staging/secrets-reader"].rule).condition == "resource.name.startswith(\"/evalap/staging/\") || !has(resource.id)" && one(scaleway_iam_policy.environment["staging/secrets-reader"].rule).project_ids == tolist([scaleway_account_project.environment["staging"].id])
    error_message = "The staging secrets reader reaches /evalap/staging/ in the staging project, and nothing else."
  }

  assert {
    condition     = toset(one(scaleway_iam_policy.environment["production/secrets-reader"].rule).permission_set_names) == toset(["SecretManagerReadOnly", "SecretManagerSecretAccess"])
    error_message = "The secrets reader lists and accesses secrets, nothing more."
  }

  assert {
    condition     = one([for r in scaleway_iam_policy.environment["production/planner"].rule : r if contains(r.permission_set_names, "SecretManagerSecretAccess")]).condition == "resource.name.startswith(\"/evalap/production/\") || !has(resource.id)"
    error_message = "The planner reads secret versions under its environment's path only."
  }

  assert {
    condition     = module.state_backend["staging"].state_principals == tolist(["application_id:${scaleway_iam_application.environment["staging/deployer"].id}", "application_id:${scaleway_iam_application.environment["staging/planner"].id}"])
    error_message = "Staging's state bucket admits staging's deployer and planner, not production's."
  }

  assert {
    condition     = module.state_backend["production"].state_principals == tolist(["application_id:${scaleway_iam_application.environment["production/deployer"].id}", "application_id:${scaleway_iam_application.environment["production/planner"].id}", "application_id:bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"])
    error_message = "Extra CI principals are added to the environment's own applications."
  }
}

run "three_applications_per_environment" {
  command = apply

  assert {
    condition     = toset([for a in scaleway_iam_application.environment : a.name]) == toset(["evalap-staging-deployer", "evalap-staging-planner", "evalap-staging-secrets-reader", "evalap-production-deployer", "evalap-production-planner", "evalap-production-secrets-reader"])
    error_message = "A deployer, a planner and a secrets reader per environment."
  }

  assert {
    condition     = toset(keys(output.applications["production"])) == toset(["deployer", "planner", "secrets-reader"])
    error_message = "The applications output names each role's application."
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

run "shared_project_is_rejected" {
  command = plan

  variables {
    project_names = {
      staging    = "evalap"
      production = "evalap"
    }
  }

  expect_failures = [var.project_names]
}

run "secret_path_prefix_with_trailing_slash_is_rejected" {
  command = plan

  variables {
    secret_path_prefix = "/evalap/"
  }

  expect_failures = [var.secret_path_prefix]
}
