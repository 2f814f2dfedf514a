# One-time bootstrap, applied with local state by an administrator of the Organization:
#   1. one Scaleway project per environment (projects.tf): an environment's resources, its Cockpit alert
#      manager, its secrets and its state bucket live in its own project, so staging can never touch
#      production (the alert manager, for one, is one per project);
#   2. the IAM applications and policies of each environment (iam.tf): who may deploy, plan and read
#      secrets, each scoped to that environment's project. The environment roots manage no IAM, so the
#      CI key that applies them needs no IAM right;
#   3. a versioned state bucket per environment, in that environment's project;
#   4. the shared private Container Registry namespace, in the project this bootstrap runs in
#      (SCW_DEFAULT_PROJECT_ID): images are pushed once and promoted from staging to production by the
#      same reference.

module "state_backend" {
  source   = "../modules/state-backend"
  for_each = var.state_buckets

  bucket_name      = each.value
  project_id       = scaleway_account_project.environment[each.key].id
  region           = var.state_region
  admin_principals = var.admin_principals
  # The environment's deploy and plan applications (iam.tf), then any extra principal given.
  state_principals = concat(
    [for role in ["deployer", "planner"] : "application_id:${scaleway_iam_application.environment["${each.key}/${role}"].id}"],
    lookup(var.ci_principals, each.key, []),
  )
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

data "scaleway_account_project" "bootstrap" {}
