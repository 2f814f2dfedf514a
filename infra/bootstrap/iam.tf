# IAM of each environment, applied once by an administrator (IAM is organization-scoped: an environment's
# apply would need IAMManager, which can grant itself anything). Three applications per environment, each
# scoped to the environment's own project; their API keys are created out of band
# (`scw iam api-key create application-id=<id> default-project-id=<project>`), never by OpenTofu, whose
# state would keep the secret. Permission set names: scaleway/docs-content
# pages/iam/reference-content/permission-sets.mdx.

locals {
  # What an apply of infra/<env> and the CLI's deploy, rollback, secrets, migrate, backup and alerts
  # commands touch in the environment's project.
  deployer_sets = [
    "ContainersFullAccess",
    "RelationalDatabasesFullAccess",
    "SecretManagerFullAccess",
    "PrivateNetworksFullAccess",
    "VPCFullAccess",
    "IPAMReadOnly",
    "ObservabilityFullAccess",
    "ObjectStorageBucketsRead",
    "ObjectStorageObjectsRead",
    "ObjectStorageObjectsWrite",
    "ObjectStorageObjectsDelete",
  ]

  # `plan`, `drift` and `status`: read everything, write only the state lock object (use_lockfile).
  planner_sets = [
    "ContainersReadOnly",
    "RelationalDatabasesReadOnly",
    "PrivateNetworksReadOnly",
    "VPCReadOnly",
    "IPAMReadOnly",
    "ObservabilityReadOnly",
    "ObjectStorageBucketsRead",
    "ObjectStorageObjectsRead",
    "ObjectStorageObjectsWrite",
    "ObjectStorageObjectsDelete",
  ]

  # Secret Manager supports resource-level conditions (pages/iam/reference-content/
  # supported-products-resource-level.mdx): a secret's resource.name is its path and name, so readers
  # reach only /evalap/<env>/…; `|| !has(resource.id)` keeps listing working (a list has no resource).
  secret_condition = { for env, _ in var.project_names : env => "resource.name.startswith(\"${var.secret_path_prefix}/${env}/\") || !has(resource.id)" }
}

resource "scaleway_iam_application" "deployer" {
  for_each = var.project_names

  name        = "evalap-${each.key}-deployer"
  description = "CI: applies infra/${each.key} and runs evalap-infra deploy/rollback/secrets/migrate/backup on ${each.key}"
  tags        = ["evalap", each.key]
}

resource "scaleway_iam_policy" "deployer" {
  for_each = var.project_names

  name           = "evalap-${each.key}-deployer"
  description    = "Manage the EvalAP ${each.key} project's resources; no IAM, no other project"
  application_id = scaleway_iam_application.deployer[each.key].id
  tags           = ["evalap", each.key]

  rule {
    project_ids          = [scaleway_account_project.environment[each.key].id]
    permission_set_names = local.deployer_sets
  }

  rule {
    project_ids          = [data.scaleway_account_project.bootstrap.id]
    permission_set_names = ["ContainerRegistryReadOnly"]
  }

  # The roots look their project up by name to check they were given their own.
  rule {
    organization_id      = scaleway_account_project.environment[each.key].organization_id
    permission_set_names = ["ProjectReadOnly"]
  }
}

resource "scaleway_iam_application" "planner" {
  for_each = var.project_names

  name        = "evalap-${each.key}-planner"
  description = "CI: plan, drift and status of ${each.key} (read-only, except the state lock)"
  tags        = ["evalap", each.key]
}

resource "scaleway_iam_policy" "planner" {
  for_each = var.project_names

  name           = "evalap-${each.key}-planner"
  description    = "Read the EvalAP ${each.key} project (plan reads secret versions under its path)"
  application_id = scaleway_iam_application.planner[each.key].id
  tags           = ["evalap", each.key]

  rule {
    project_ids          = [scaleway_account_project.environment[each.key].id]
    permission_set_names = local.planner_sets
  }

  rule {
    project_ids          = [scaleway_account_project.environment[each.key].id]
    permission_set_names = ["SecretManagerReadOnly", "SecretManagerSecretAccess"]
    condition            = local.secret_condition[each.key]
  }

  rule {
    project_ids          = [data.scaleway_account_project.bootstrap.id]
    permission_set_names = ["ContainerRegistryReadOnly"]
  }

  rule {
    organization_id      = scaleway_account_project.environment[each.key].organization_id
    permission_set_names = ["ProjectReadOnly"]
  }
}

resource "scaleway_iam_application" "secrets_reader" {
  for_each = var.project_names

  name        = "evalap-${each.key}-secrets-reader"
  description = "Reads the ${var.secret_path_prefix}/${each.key} secrets (evalap-infra smoke tests, migrations)"
  tags        = ["evalap", each.key]
}

resource "scaleway_iam_policy" "secrets_reader" {
  for_each = var.project_names

  name           = "evalap-${each.key}-secrets-reader"
  description    = "List and access the secrets under ${var.secret_path_prefix}/${each.key} only"
  application_id = scaleway_iam_application.secrets_reader[each.key].id
  tags           = ["evalap", each.key]

  rule {
    project_ids          = [scaleway_account_project.environment[each.key].id]
    permission_set_names = ["SecretManagerReadOnly", "SecretManagerSecretAccess"]
    condition            = local.secret_condition[each.key]
  }
}
