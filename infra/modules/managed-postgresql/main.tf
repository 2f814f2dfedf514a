# Managed PostgreSQL for EvalAP: the instance, the application database, two non-admin application
# users that take turns (<app_user_name>_a and _b, so a password rotation by the CLI switches to the
# idle user before changing its password), their privileges, an ACL when a public endpoint is asked
# for, and the connection contract (POSTGRES_URL without the database name + DB_NAME) in Secret Manager.
#
# The application credentials live in the secret <name>-db-app-credentials: OpenTofu writes its FIRST
# version (user _a with its initial password); later versions are the CLI's, and POSTGRES_URL follows
# the latest enabled one.

locals {
  admin_password = sensitive(terraform_data.admin_password.output)

  # The two application users, keyed by their suffix.
  app_users = { for s in ["a", "b"] : s => "${var.app_user_name}_${s}" }

  private  = var.private_network_id != null
  endpoint = local.private ? scaleway_rdb_instance.this.private_network[0] : scaleway_rdb_instance.this.load_balancer[0]
  host     = local.endpoint.ip
  port     = local.endpoint.port
  server   = "${local.host}:${local.port}"

  # What the containers connect with: the latest enabled credentials version (the CLI's after a
  # rotation, else the first one below).
  app_credentials = jsondecode(base64decode(data.scaleway_secret_version.app_credentials.data))

  # EvalAP builds DATABASE_URI = POSTGRES_URL.rstrip('/') + '/' + DB_NAME, so no database here.
  postgres_url = sensitive("postgresql+psycopg2://${local.app_credentials.user}:${urlencode(local.app_credentials.password)}@${local.server}")
}

resource "terraform_data" "admin_password" {
  # Generated with OpenTofu built-ins only (no random provider, FR-013): two UUIDv4 (244 random
  # bits) framed so that the RDB password policy (lower, upper, digit, special) always holds.
  # uuid() is unknown during plan and evaluated at apply; ignore_changes pins the result.
  input = sensitive("Ev9_${upper(replace(uuid(), "-", ""))}.${replace(uuid(), "-", "")}")

  lifecycle {
    ignore_changes = [input]
  }
}

resource "terraform_data" "app_password" {
  # The initial password of each application user, generated like the admin's; each for_each
  # instance evaluates uuid() on its own, so the two users never share one.
  for_each = local.app_users

  input = sensitive("Ev9_${upper(replace(uuid(), "-", ""))}.${replace(uuid(), "-", "")}")

  lifecycle {
    ignore_changes = [input]
  }
}

resource "scaleway_rdb_instance" "this" {
  name               = var.name
  node_type          = var.node_type
  engine             = var.engine
  is_ha_cluster      = var.high_availability
  encryption_at_rest = var.encryption_at_rest
  volume_type        = var.volume.type
  volume_size_in_gb  = var.volume.type == "lssd" ? null : var.volume.size_in_gb

  user_name = var.admin_user_name
  password  = local.admin_password

  disable_backup            = false
  backup_schedule_frequency = var.backup.frequency_hours
  backup_schedule_retention = var.backup.retention_days
  backup_same_region        = var.backup.same_region

  settings = length(var.settings) == 0 ? null : var.settings

  dynamic "private_network" {
    for_each = local.private ? [var.private_network_id] : []
    content {
      pn_id       = private_network.value
      enable_ipam = true
    }
  }

  # Only declared when asked for: with a private network and no load_balancer block the instance
  # has no public endpoint at all.
  dynamic "load_balancer" {
    for_each = var.public_access.enabled ? [1] : []
    content {}
  }

  region     = var.region
  project_id = var.project_id
  tags       = var.tags

  lifecycle {
    # Dynamic prevent_destroy needs OpenTofu >= 1.12 (versions.tf). A plan that deletes or
    # replaces the instance then fails, whatever -var or --allow-destroy says.
    prevent_destroy = var.prevent_destroy

    precondition {
      condition     = local.private || var.public_access.enabled
      error_message = "The database needs a private network, a public endpoint, or both."
    }
  }
}

resource "scaleway_rdb_database" "app" {
  instance_id = scaleway_rdb_instance.this.id
  name        = var.database_name
  region      = var.region

  lifecycle {
    prevent_destroy = var.prevent_destroy
  }
}

resource "scaleway_rdb_user" "app" {
  for_each = local.app_users

  instance_id = scaleway_rdb_instance.this.id
  name        = each.value
  password    = sensitive(terraform_data.app_password[each.key].output)
  is_admin    = false
  region      = var.region

  lifecycle {
    # The CLI rotates the passwords through the RDB API; an apply must never put the initial one
    # back. The provider never reads the password back from the API (internal/services/rdb/user.go,
    # ResourceUserRead sets name, is_admin and region only), so a rotated password shows no drift.
    ignore_changes = [password]
  }
}

# The same privilege for both users: either can serve the application while the other rotates.
resource "scaleway_rdb_privilege" "app" {
  for_each = scaleway_rdb_user.app

  instance_id   = scaleway_rdb_instance.this.id
  user_name     = each.value.name
  database_name = scaleway_rdb_database.app.name
  permission    = var.app_permission
  region        = var.region
}

resource "scaleway_rdb_acl" "public" {
  count = var.public_access.enabled ? 1 : 0

  instance_id = scaleway_rdb_instance.this.id
  region      = var.region

  dynamic "acl_rules" {
    for_each = var.public_access.allowed_cidrs
    content {
      ip          = acl_rules.value
      description = "evalap-infra allowed CIDR ${acl_rules.key + 1}"
    }
  }
}

resource "scaleway_secret" "db" {
  for_each = toset(["postgres-url", "db-app-credentials", "db-admin-password"])

  name        = "${var.name}-${each.key}"
  path        = var.secret_path
  description = "Generated by OpenTofu (managed-postgresql module) for ${var.name}"
  type        = "opaque"
  protected   = var.protect_secrets
  region      = var.region
  project_id  = var.project_id
  tags        = var.tags
}

# The FIRST credentials version only: user _a and its initial password. Later versions are written
# by the CLI's rotation and are the truth, so a change of the initial value never writes a new one.
resource "scaleway_secret_version" "app_credentials" {
  secret_id   = scaleway_secret.db["db-app-credentials"].id
  data        = sensitive(jsonencode({ user = local.app_users["a"], password = terraform_data.app_password["a"].output }))
  description = "initial credentials, written by OpenTofu"
  region      = var.region

  lifecycle {
    ignore_changes = [data, description]
  }
}

# The credentials the application connects with: the latest enabled version ("latest_enabled" is a
# revision the Secret Manager API accepts: scaleway-sdk-go api/secret/v1beta1/secret_sdk.go,
# AccessSecretVersionRequest.Revision; the provider passes it through, version_data_source.go).
data "scaleway_secret_version" "app_credentials" {
  secret_id = scaleway_secret.db["db-app-credentials"].id
  revision  = "latest_enabled"
  region    = var.region

  depends_on = [scaleway_secret_version.app_credentials]
}

resource "scaleway_secret_version" "admin_password" {
  secret_id   = scaleway_secret.db["db-admin-password"].id
  data        = local.admin_password
  description = "written by OpenTofu"
  region      = var.region

  lifecycle {
    create_before_destroy = true
  }
}

# Follows both the credentials and the endpoint: a new credentials version or a new endpoint writes
# a new revision before the old one goes, so readers never see a secret without an enabled version.
resource "scaleway_secret_version" "postgres_url" {
  secret_id   = scaleway_secret.db["postgres-url"].id
  data        = local.postgres_url
  description = "derived by OpenTofu from db-app-credentials and the endpoint"
  region      = var.region

  lifecycle {
    create_before_destroy = true
  }
}

# The former for_each of versions: a state that has them keeps them under the new names. The
# db-app-password secret is gone (rotation is the CLI's, on db-app-credentials), with its version.
moved {
  from = scaleway_secret_version.db["postgres-url"]
  to   = scaleway_secret_version.postgres_url
}

moved {
  from = scaleway_secret_version.db["db-admin-password"]
  to   = scaleway_secret_version.admin_password
}
