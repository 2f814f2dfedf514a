output "id" {
  description = "ID of the registry namespace."
  value       = scaleway_registry_namespace.this.id
}

output "endpoint" {
  description = "Registry endpoint, e.g. rg.fr-par.scw.cloud/evalap."
  value       = scaleway_registry_namespace.this.endpoint
}

output "name" {
  description = "Name of the registry namespace."
  value       = scaleway_registry_namespace.this.name
}
