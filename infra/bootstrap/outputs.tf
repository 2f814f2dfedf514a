output "state_buckets" {
  description = "State bucket name per environment (the roots' state_bucket variable / backend bucket)."
  value       = { for env, m in module.state_backend : env => m.bucket_name }
}

output "state_region" {
  description = "Region of the state buckets (the roots' backend region)."
  value       = distinct([for m in module.state_backend : m.region])[0]
}

output "registry_endpoint" {
  description = "Registry endpoint to push images to, e.g. rg.fr-par.scw.cloud/evalap."
  value       = module.registry.endpoint
}

output "registry_namespace_id" {
  description = "ID of the shared registry namespace."
  value       = module.registry.id
}

output "environment_settings" {
  description = "Per environment, what goes into infra/<env>/terraform.tfvars (project_id, project_name, registry_project_id, state_bucket)."
  value = {
    for env, p in scaleway_account_project.environment : env => {
      project_id          = p.id
      project_name        = p.name
      registry_project_id = data.scaleway_account_project.bootstrap.id
      state_bucket        = module.state_backend[env].bucket_name
    }
  }
}

output "applications" {
  description = "Per environment, the IAM application IDs to create API keys for (out of band): deployer (deploy workflows), planner (pull requests, drift), secrets-reader."
  value = {
    for env, _ in var.project_names : env => {
      for key, a in local.applications : a.role => scaleway_iam_application.environment[key].id if a.env == env
    }
  }
}
