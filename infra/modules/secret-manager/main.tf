# Secret Manager secrets for one environment (one path per environment) and a version per secret
# holding the value given by the caller. Who may read them is IAM's business, granted once by an
# administrator in infra/bootstrap (an application per environment, scoped to its project), so that
# applying an environment never needs IAM rights.

locals {
  secret_names = { for k, _ in var.secrets : k => "${var.name_prefix}-${lower(replace(k, "_", "-"))}" }
  value_keys   = nonsensitive(toset(keys(var.values)))
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

resource "scaleway_secret_version" "this" {
  for_each = var.secrets

  secret_id   = scaleway_secret.this[each.key].id
  data        = var.values[each.key]
  description = "set by evalap-infra"
  region      = var.region

  lifecycle {
    # A new value creates the new revision before the old one is removed, so readers never see
    # a secret without an enabled version.
    create_before_destroy = true

    precondition {
      condition     = contains(local.value_keys, each.key)
      error_message = "No value was given for secret ${each.key} (set it in the values map, from the environment)."
    }
  }
}
