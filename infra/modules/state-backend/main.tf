# The bucket that holds one environment's OpenTofu state: versioned (a bad write can be rolled
# back), non-current versions expire, incomplete uploads are cleaned, and a bucket policy limits
# access to named principals. Applied once from infra/bootstrap/ with local state.
#
# No `encrypt = true` in the backends that use it (it fails on Scaleway): the state is encrypted
# client-side by OpenTofu state encryption before it reaches the bucket.

resource "scaleway_object_bucket" "this" {
  name          = var.bucket_name
  region        = var.region
  project_id    = var.project_id
  force_destroy = false
  tags          = merge(var.tags, { purpose = "opentofu-state" })

  versioning {
    enabled = true
  }

  lifecycle_rule {
    id                                     = "expire-noncurrent-state-versions"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 7

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
  }
}

resource "scaleway_object_bucket_policy" "this" {
  bucket     = scaleway_object_bucket.this.id
  region     = var.region
  project_id = var.project_id

  policy = jsonencode({
    Version = "2023-04-17"
    Id      = "${var.bucket_name}-policy"
    Statement = concat(
      [{
        Sid       = "AdminsFullAccess"
        Effect    = "Allow"
        Principal = { SCW = var.admin_principals }
        Action    = ["s3:*"]
        Resource  = [var.bucket_name, "${var.bucket_name}/*"]
      }],
      length(var.state_principals) == 0 ? [] : [{
        Sid       = "StateReadWrite"
        Effect    = "Allow"
        Principal = { SCW = var.state_principals }
        Action = [
          "s3:ListBucket",
          "s3:GetObject",
          "s3:PutObject",
          "s3:DeleteObject",
        ]
        Resource = [var.bucket_name, "${var.bucket_name}/*"]
      }],
    )
  })
}
