# One-time bootstrap, applied with local state by an operator:
#   1. a versioned state bucket per environment (infra/staging, infra/production use them through
#      their s3 backend);
#   2. the shared private Container Registry namespace: images are pushed once and promoted from
#      staging to production by the same reference.

module "state_backend" {
  source   = "../modules/state-backend"
  for_each = var.state_buckets

  bucket_name             = each.value
  region                  = var.state_region
  admin_principals        = var.admin_principals
  state_principals        = lookup(var.ci_principals, each.key, [])
  noncurrent_version_days = var.noncurrent_version_days
  tags = {
    environment = each.key
    managed-by  = "evalap-infra"
  }
}

module "registry" {
  source = "../modules/container-registry"

  name = var.registry_namespace
}
