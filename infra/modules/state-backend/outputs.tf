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
