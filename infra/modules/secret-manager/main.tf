# Secret Manager secrets for one environment (one path per environment): the shells only. Values
# are never written by OpenTofu: Secret Manager is their source of truth, and the evalap-infra CLI
# (`secrets set` / `secrets rotate`) writes their versions. The platform reads each secret's latest
# enabled version. Who may read them is IAM's business, granted once by an administrator in
# infra/bootstrap (an application per environment, scoped to its project), so that applying an
# environment never needs IAM rights.

locals {
  secret_names = { for k, _ in var.secrets : k => "${var.name_prefix}-${lower(replace(k, "_", "-"))}" }
}

resource "scaleway_secret" "this" {
  for_each = var.secrets

  name        = local.secret_names[each.key]
  path        = var.path
  description = each.value.description != "" ? each.value.description : "EvalAP ${each.key}"
  type        = "opaque"
  protected   = each.value.protected
  project_id  = var.project_id
  region      = var.region
  tags        = concat(var.tags, ["env-var:${each.key}"])
}

# Versions this module wrote before values moved to the CLI: a state that still holds them forgets
# them instead of deleting them (deleting a version destroys the value the containers run with).
removed {
  from = scaleway_secret_version.this

  lifecycle {
    destroy = false
  }
}
