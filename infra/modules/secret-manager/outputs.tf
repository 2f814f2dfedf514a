output "secret_ids" {
  description = "Secret IDs keyed by environment variable name."
  value       = { for k, s in scaleway_secret.this : k => s.id }
}

output "secret_names" {
  description = "Secret names keyed by environment variable name."
  value       = { for k, s in scaleway_secret.this : k => s.name }
}

output "path" {
  description = "Secret Manager path of the environment."
  value       = var.path
}

output "secret_paths" {
  description = "Path of each secret, keyed by environment variable name."
  value       = { for k, s in scaleway_secret.this : k => s.path }
}
