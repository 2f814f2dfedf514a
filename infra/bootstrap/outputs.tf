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
