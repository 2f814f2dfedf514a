output "bucket_name" {
  description = "Name of the state bucket (backend bucket)."
  value       = scaleway_object_bucket.this.name
}

output "bucket_id" {
  description = "ID of the bucket ({region}/{name})."
  value       = scaleway_object_bucket.this.id
}

output "endpoint" {
  description = "Bucket endpoint."
  value       = scaleway_object_bucket.this.endpoint
}

output "region" {
  description = "Region of the bucket."
  value       = scaleway_object_bucket.this.region
}

output "project_id" {
  description = "Project of the bucket (null: the provider's default project)."
  value       = scaleway_object_bucket.this.project_id
}

output "state_principals" {
  description = "Principals the bucket policy lets read and write state objects."
  value       = var.state_principals
}
