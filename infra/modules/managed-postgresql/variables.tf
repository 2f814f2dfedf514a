variable "name" {
  type        = string
  description = "Instance name and secret name prefix, e.g. evalap-staging."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name))
    error_message = "name must be 3-42 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Scaleway region. Null uses the provider default (SCW_DEFAULT_REGION)."
  default     = null

  validation {
    condition     = var.region == null || contains(["fr-par", "nl-ams", "pl-waw"], coalesce(var.region, "fr-par"))
    error_message = "region must be one of fr-par, nl-ams, pl-waw (EU residency)."
  }
}

variable "project_id" {
  type        = string
  description = "Project ID. Null uses the provider default (SCW_DEFAULT_PROJECT_ID)."
  default     = null

  validation {
    condition     = var.project_id == null || can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", coalesce(var.project_id, "x")))
    error_message = "project_id must be a UUID."
  }
}

variable "tags" {
  type        = list(string)
  description = "Tags set on the instance and the secrets."
  default     = []
}

variable "engine" {
  type        = string
  description = "Database engine. Changing it runs a blue/green major upgrade that yields a new instance ID."
  default     = "PostgreSQL-16"

  validation {
    condition     = can(regex("^PostgreSQL-(1[5-9])$", var.engine))
    error_message = "engine must be PostgreSQL-15 or later, e.g. PostgreSQL-16."
  }
}

variable "node_type" {
  type        = string
  description = "RDB node type, e.g. db-dev-s, db-pro2-xxs, db-play2-pico."

  validation {
    condition     = can(regex("^(?i)db-[a-z0-9]+(-[a-z0-9]+)+$", var.node_type))
    error_message = "node_type must be an RDB node type such as db-dev-s or db-pro2-xs."
  }
}

variable "high_availability" {
  type        = bool
  description = "Run a standby node (is_ha_cluster). Required in production."
}

variable "encryption_at_rest" {
  type        = bool
  description = "Encrypt the volume at rest. Once enabled it cannot be disabled."
  default     = true
}

variable "volume" {
  type = object({
    type       = optional(string, "sbs_5k")
    size_in_gb = optional(number, 20)
  })
  description = "Storage: type lssd (local, size fixed by node type) or sbs_5k / sbs_15k (block, size in multiples of 5 GB)."
  default     = {}

  validation {
    condition     = contains(["lssd", "sbs_5k", "sbs_15k"], var.volume.type)
    error_message = "volume.type must be lssd, sbs_5k or sbs_15k."
  }

  validation {
    condition     = var.volume.type == "lssd" || (var.volume.size_in_gb >= 5 && var.volume.size_in_gb % 5 == 0)
    error_message = "volume.size_in_gb must be a multiple of 5 (at least 5) for block volumes."
  }
}

variable "backup" {
  type = object({
    frequency_hours = optional(number, 24)
    retention_days  = optional(number, 7)
    same_region     = optional(bool, true)
  })
  description = "Automated backup schedule. Scaleway keeps one schedule; weekly/monthly tiers are manual backups made by the CLI."
  default     = {}

  validation {
    condition     = var.backup.frequency_hours >= 1 && var.backup.frequency_hours <= 24
    error_message = "backup.frequency_hours must be between 1 and 24."
  }

  validation {
    condition     = var.backup.retention_days >= 1 && var.backup.retention_days <= 365
    error_message = "backup.retention_days must be between 1 and 365."
  }
}

variable "private_network_id" {
  type        = string
  description = "Private network for the IPAM endpoint (enable_ipam = true). Null means no private endpoint."
  default     = null
}

variable "public_access" {
  type = object({
    enabled       = bool
    allowed_cidrs = optional(list(string), [])
  })
  description = "Public load-balancer endpoint, restricted by an ACL to allowed_cidrs. Disabled means the database is only reachable on the private network."
  default     = { enabled = false }

  validation {
    condition     = !var.public_access.enabled || length(var.public_access.allowed_cidrs) > 0
    error_message = "A public endpoint needs at least one CIDR in allowed_cidrs (ACL)."
  }

  validation {
    condition     = var.public_access.enabled || length(var.public_access.allowed_cidrs) == 0
    error_message = "allowed_cidrs is only meaningful with a public endpoint."
  }

  validation {
    condition     = alltrue([for c in var.public_access.allowed_cidrs : can(cidrhost(c, 0)) && can(regex("^[0-9.]+/[0-9]+$", c)) && !endswith(c, "/0")])
    error_message = "allowed_cidrs must be IPv4 CIDRs and must not open the database to the world (/0)."
  }
}

variable "database_name" {
  type        = string
  description = "Application database (DB_NAME for EvalAP)."
  default     = "evalap"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lowercase identifier of at most 63 characters."
  }
}

variable "app_user_name" {
  type        = string
  description = "Base name of the two non-admin application users, <app_user_name>_a and <app_user_name>_b, which take turns on password rotations. The first credentials (user _a) go to Secret Manager (db-app-credentials)."
  default     = "evalap"

  validation {
    # 61 characters at most: the users are <app_user_name>_a and _b, and PostgreSQL names hold 63.
    condition     = can(regex("^[a-z][a-z0-9_]{0,60}$", var.app_user_name)) && !contains(["postgres", "admin", "root"], var.app_user_name)
    error_message = "app_user_name must be a lowercase identifier of at most 61 characters (the users are <name>_a and <name>_b) and not a reserved name (postgres, admin, root)."
  }
}

variable "admin_user_name" {
  type        = string
  description = "Instance admin user created with the instance (break-glass only; the app never uses it)."
  default     = "evalap_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.admin_user_name)) && var.admin_user_name != "postgres"
    error_message = "admin_user_name must be a lowercase identifier other than postgres."
  }
}

variable "app_permission" {
  type        = string
  description = "Privilege of the application user on its database. Alembic migrations need DDL, hence all."
  default     = "all"

  validation {
    condition     = contains(["readonly", "readwrite", "all"], var.app_permission)
    error_message = "app_permission must be readonly, readwrite or all."
  }
}

variable "settings" {
  type        = map(string)
  description = "Engine settings. Empty keeps the node type's defaults; otherwise every setting a PostgreSQL instance reports (see the validation), since the provider reads them all back."
  default     = {}

  # A ready PostgreSQL instance reports these six settings (provider v2.81.0 rdb cassettes) and the
  # provider reads every one back into `settings`: a map without some of them plans their removal
  # on every run, and each apply of it PUTs the settings again and restarts the instance.
  validation {
    condition = length(var.settings) == 0 || alltrue([for k in [
      "effective_cache_size", "maintenance_work_mem", "max_connections",
      "max_parallel_workers", "max_parallel_workers_per_gather", "work_mem",
    ] : contains(keys(var.settings), k)])
    error_message = "settings must be empty or set all six settings a PostgreSQL instance reports: effective_cache_size, maintenance_work_mem, max_connections, max_parallel_workers, max_parallel_workers_per_gather, work_mem (a partial map drifts on every plan and restarts the instance on every apply)."
  }
}

variable "secret_path" {
  type        = string
  description = "Secret Manager path for the generated credentials, e.g. /evalap/staging."

  validation {
    condition     = can(regex("^/[a-z0-9_/-]*[a-z0-9_-]$", var.secret_path))
    error_message = "secret_path must be an absolute path such as /evalap/staging."
  }
}

variable "protect_secrets" {
  type        = bool
  description = "Mark the credential secrets as protected (deleting them fails until unprotected)."
  default     = false
}

variable "prevent_destroy" {
  type        = bool
  description = "Refuse any plan that deletes or replaces the instance or the application database (lifecycle prevent_destroy; OpenTofu >= 1.12 evaluates it from this variable). Set for production; turn it off in a reviewed change to delete the database on purpose."
  default     = false
}
