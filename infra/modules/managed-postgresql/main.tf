# Managed PostgreSQL for EvalAP: the instance, the application database, a non-admin application
# user with a generated password, its privileges, an ACL when a public endpoint is asked for, and
# the connection contract (POSTGRES_URL without the database name + DB_NAME) in Secret Manager.

locals {
  admin_password = sensitive(terraform_data.admin_password.output)
  app_password   = sensitive(terraform_data.app_password.output)

  private   = var.private_network_id != null
  endpoint  = local.private ? scaleway_rdb_instance.this.private_network[0] : scaleway_rdb_instance.this.load_balancer[0]
  host      = local.endpoint.ip
  port      = local.endpoint.port
  server    = "${local.host}:${local.port}"
  auth_user = var.app_user_name

  # EvalAP builds DATABASE_URI = POSTGRES_URL.rstrip('/') + '/' + DB_NAME, so no database here.
  postgres_url = sensitive("postgresql+psycopg2://${local.auth_user}:${urlencode(local.app_password)}@${local.server}")

  secret_values = {
    "postgres-url"      = local.postgres_url
    "db-app-password"   = local.app_password
    "db-admin-password" = local.admin_password
  }
}

resource "terraform_data" "admin_password" {
  # Generated with OpenTofu built-ins only (no random provider, FR-013): two UUIDv4 (244 random
  # bits) framed so that the RDB password policy (lower, upper, digit, special) always holds.
  # uuid() is unknown during plan and evaluated at apply; ignore_changes pins the result. The
  # expression is repeated on purpose: a shared local would give both users the same value.
  input            = sensitive("Ev9_${upper(replace(uuid(), "-", ""))}.${replace(uuid(), "-", "")}")
  triggers_replace = [var.password_rotation]

  lifecycle {
    ignore_changes = [input]
  }
}

resource "terraform_data" "app_password" {
  # Generated with OpenTofu built-ins only (no random provider, FR-013): two UUIDv4 (244 random
  # bits) framed so that the RDB password policy (lower, upper, digit, special) always holds.
  # uuid() is unknown during plan and evaluated at apply; ignore_changes pins the result. The
  # expression is repeated on purpose: a shared local would give both users the same value.
  input            = sensitive("Ev9_${upper(replace(uuid(), "-", ""))}.${replace(uuid(), "-", "")}")
  triggers_replace = [var.password_rotation]

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
  instance_id = scaleway_rdb_instance.this.id
  name        = var.app_user_name
  password    = local.app_password
  is_admin    = false
  region      = var.region
}

resource "scaleway_rdb_privilege" "app" {
  instance_id   = scaleway_rdb_instance.this.id
  user_name     = scaleway_rdb_user.app.name
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
  for_each = toset(keys(local.secret_values))

  name        = "${var.name}-${each.key}"
  path        = var.secret_path
  description = "Generated by OpenTofu (managed-postgresql module) for ${var.name}"
  type        = "opaque"
  protected   = var.protect_secrets
  region      = var.region
  project_id  = var.project_id
  tags        = var.tags
}

resource "scaleway_secret_version" "db" {
  for_each = scaleway_secret.db

  secret_id   = each.value.id
  data        = local.secret_values[each.key]
  description = "password rotation ${var.password_rotation}"
  region      = var.region

  lifecycle {
    create_before_destroy = true
  }
}
