# IAM of each environment, applied once by an administrator (IAM is organization-scoped: an environment's
# apply would need IAMManager, which can grant itself anything). Three applications per environment, each
# scoped to the environment's own project; their API keys are created out of band
# (`scw iam api-key create application-id=<id> default-project-id=<project>`), never by OpenTofu, whose
# state would keep the secret. Permission set names: scaleway/docs-content
# pages/iam/reference-content/permission-sets.mdx.

locals {
  # Each role's rules. scope: "environment" (the environment's project), "registry" (the project holding
  # the shared registry), "organization". secrets_path_only: the rule only reaches secrets under
  # <secret_path_prefix>/<env>/ (Secret Manager supports resource-level conditions, a secret's
  # resource.name being its path and name: pages/iam/reference-content/supported-products-resource-level.mdx;
  # `|| !has(resource.id)` keeps listing working, a list having no resource).
  roles = {
    # An apply of infra/<env> and the CLI's deploy, rollback, secrets, migrate, backup and alerts commands.
    deployer = {
      description = "CI: applies infra/<env> and runs evalap-infra deploy/rollback/secrets/migrate/backup/alerts"
      rules = [
        {
          scope = "environment"
          sets = [
            "ContainersFullAccess",
            # migrate reads its private runner container with this key (X-Auth-Token).
            "ContainersPrivateAccess",
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
          secrets_path_only = false
        },
        { scope = "registry", sets = ["ContainerRegistryReadOnly"], secrets_path_only = false },
        # The roots look their project up by name to check they were given their own.
        { scope = "organization", sets = ["ProjectReadOnly"], secrets_path_only = false },
      ]
    }
    # `plan`, `drift` and `status`: read everything, write only the state lock object (use_lockfile).
    planner = {
      description = "CI: plan, drift and status (read-only, except the state lock)"
      rules = [
        {
          scope = "environment"
          sets = [
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
          secrets_path_only = false
        },
        # A plan reads the secret versions the containers get.
        { scope = "environment", sets = ["SecretManagerReadOnly", "SecretManagerSecretAccess"], secrets_path_only = true },
        { scope = "registry", sets = ["ContainerRegistryReadOnly"], secrets_path_only = false },
        { scope = "organization", sets = ["ProjectReadOnly"], secrets_path_only = false },
      ]
    }
    # The CLI's smoke tests (ADMIN_TOKEN) and migrations (POSTGRES_URL).
    secrets-reader = {
      description = "Reads the environment's secrets (evalap-infra smoke tests, migrations)"
      rules = [
        { scope = "environment", sets = ["SecretManagerReadOnly", "SecretManagerSecretAccess"], secrets_path_only = true },
      ]
    }
  }

  # "<env>/<role>" => { env, role }: one application and one policy each.
  applications = {
    for pair in setproduct(keys(var.project_names), keys(local.roles)) : "${pair[0]}/${pair[1]}" => { env = pair[0], role = pair[1] }
  }
}

resource "scaleway_iam_application" "environment" {
  for_each = local.applications

  name        = "evalap-${each.value.env}-${each.value.role}"
  description = replace(local.roles[each.value.role].description, "<env>", each.value.env)
  tags        = ["evalap", each.value.env]
}

resource "scaleway_iam_policy" "environment" {
  for_each = local.applications

  name           = "evalap-${each.value.env}-${each.value.role}"
  description    = "EvalAP ${each.value.env} ${each.value.role}: rules on the ${each.value.env} project only; no IAM"
  application_id = scaleway_iam_application.environment[each.key].id
  tags           = ["evalap", each.value.env]

  dynamic "rule" {
    for_each = local.roles[each.value.role].rules
    content {
      project_ids = rule.value.scope == "organization" ? null : [
        rule.value.scope == "registry" ? data.scaleway_account_project.bootstrap.id : scaleway_account_project.environment[each.value.env].id
      ]
      organization_id      = rule.value.scope == "organization" ? scaleway_account_project.environment[each.value.env].organization_id : null
      permission_set_names = rule.value.sets
      condition            = rule.value.secrets_path_only ? "resource.name.startswith(\"${var.secret_path_prefix}/${each.value.env}/\") || !has(resource.id)" : null
    }
  }
}
