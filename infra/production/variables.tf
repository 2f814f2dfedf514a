# Inputs of the production root. Names are the interface of the CLI (-var images), of operators
# (TF_VAR_state_passphrase) and of terraform.tfvars: do not rename them.
# Here: the production defaults and the production-specific validations. The validations that
# hold for every environment (images, app_secret_names, memory >= 2 GiB, 0 <= min_scale <=
# max_scale, log_level, retention ranges...) are in ../modules/evalap-platform/variables.tf.
# Production only (enforced below): USER_API_KEYS among the secrets (the CLI checks its value is
# not empty), a fixed pool of min_scale = max_scale >= 2
# (the API; the UI runs one replica), HA, not db-dev-*, encrypted at rest, 30 to 365 days of
# backups, no public database endpoint, a peak connection budget.

# ---------------------------------------------------------------------------------------------
# Set by the CLI (never in tfvars)
# ---------------------------------------------------------------------------------------------

variable "images" {
  type        = map(string)
  description = "Image reference per service, set by the CLI's release ledger with -var. `evalap` is required and used by every service unless a service has its own entry (e.g. evalap-ui). One image runs API, runner and UI. Validated by the platform module (tag or digest, no :latest)."
}

variable "state_passphrase" {
  type        = string
  description = "Passphrase of the OpenTofu state encryption (pbkdf2 + aes_gcm). Set TF_VAR_state_passphrase from a CI secret; never in tfvars."
  sensitive   = true

  validation {
    condition     = length(var.state_passphrase) >= 16
    error_message = "state_passphrase must be at least 16 characters (pbkdf2 key provider minimum)."
  }
}

# ---------------------------------------------------------------------------------------------
# Environment settings (terraform.tfvars)
# ---------------------------------------------------------------------------------------------

variable "app_secret_names" {
  type        = set(string)
  description = "Environment variables EvalAP reads from Secret Manager. Names only: the values are Secret Manager's (`evalap-infra secrets set production NAME` writes them), and each needs an enabled version before the first full apply. Validated by the platform module (names EvalAP reads, ADMIN_TOKEN and EVALAP_FRONTEND_TOKEN required)."
  default     = ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY", "USER_API_KEYS"]

  # Without USER_API_KEYS EvalAP accepts any bearer token: a public production API would let anyone
  # run evaluations on the LLM keys. The name is checked here; that its value is not empty is the
  # CLI's check (`secrets set`, deploy preflight), since OpenTofu no longer sees values.
  validation {
    condition     = contains(var.app_secret_names, "USER_API_KEYS")
    error_message = "Production needs USER_API_KEYS in app_secret_names: without it EvalAP's API accepts any bearer token. Add it and set its value with `evalap-infra secrets set production USER_API_KEYS`."
  }
}

variable "project_id" {
  type        = string
  description = "This environment's own Scaleway project: `environment_settings.production.project_id` of infra/bootstrap. Set it in terraform.tfvars; no default, so that no apply lands in whatever project the shell defaults to."
}

variable "project_name" {
  type        = string
  description = "The name project_id must have: an apply pointed at another environment's project fails before changing anything."
  default     = "evalap-production"
}

variable "registry_project_id" {
  type        = string
  description = "Project holding the shared registry namespace: `environment_settings.production.registry_project_id` of infra/bootstrap (null: this environment's project)."
  default     = null
}

variable "state_bucket" {
  type        = string
  description = "Bucket holding this environment's state (created by infra/bootstrap). Also used by the s3 backend."
  default     = "evalap-tfstate-production"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid bucket name."
  }
}

variable "registry_namespace" {
  type        = string
  description = "Name of the shared Container Registry namespace (created by infra/bootstrap)."
  default     = "evalap"
}

variable "private_subnet" {
  type        = string
  description = "IPv4 CIDR of the environment's private network."
  default     = "172.16.12.0/22"
}

variable "container" {
  type = object({
    cpu_limit                     = optional(number, 2240)
    memory_limit_bytes            = optional(number, 4096000000)
    min_scale                     = optional(number, 3)
    max_scale                     = optional(number, 3)
    concurrent_requests_threshold = optional(number, 50)
  })
  description = "Sizing and scaling of the EvalAP containers. Production runs a fixed pool of at least 2 API instances (FR-002): min_scale = max_scale, because evaluations run in the runner's threads after the request returned and a scale-in would kill them (infra/README.md, Environments)."
  default     = {}

  validation {
    condition     = var.container.min_scale >= 2 && var.container.min_scale <= var.container.max_scale
    error_message = "Production needs min_scale >= 2 (FR-002) and min_scale <= max_scale."
  }

  # Serverless Containers removes an instance 30 s after its last request (containers-limitations:
  # "Time before scale down 30 seconds"), whatever its runner is doing. A fixed pool never scales in.
  validation {
    condition     = var.container.min_scale == var.container.max_scale
    error_message = "Production runs a fixed pool: container.min_scale must equal container.max_scale. EvalAP's runner works in threads after the request returned, and a scale-in (30 s after an instance's last request) kills the evaluations it runs. Raise min_scale to the capacity you need instead of relying on max_scale."
  }
}

variable "enable_ui" {
  type        = bool
  description = "Deploy the Streamlit UI container (evalap-ui)."
  default     = true
}

variable "database" {
  type = object({
    node_type              = optional(string, "db-pro2-xs")
    high_availability      = optional(bool, true)
    encryption_at_rest     = optional(bool, true)
    volume_size_in_gb      = optional(number, 50)
    backup_frequency_hours = optional(number, 24)
    backup_retention_days  = optional(number, 30)
    public_access_cidrs    = optional(list(string), [])
    max_connections        = optional(number, 1250)
    connection_budget      = optional(string, "peak")
  })
  description = "Managed PostgreSQL settings. Production: HA, encrypted at rest, 30-day daily backups, private network only, and a peak connection budget (every pool at pool_size + max_overflow fits in max_connections: 1220 for 3 API + 1 UI instances, db-pro2-xs carries 1600)."
  default     = {}

  validation {
    condition     = var.database.connection_budget == "peak"
    error_message = "Production budgets connections at peak (database.connection_budget = \"peak\"): every EvalAP process may open pool_size + max_overflow = 60 connections, and a refused connection fails a request or an evaluation."
  }

  validation {
    condition     = var.database.high_availability
    error_message = "Production requires an HA database (FR-002)."
  }

  validation {
    condition     = var.database.encryption_at_rest
    error_message = "Production requires encryption at rest."
  }

  validation {
    condition     = var.database.backup_retention_days >= 30 && var.database.backup_retention_days <= 365
    error_message = "Production keeps daily backups for at least 30 days (FR-003.2)."
  }

  validation {
    condition     = length(var.database.public_access_cidrs) == 0
    error_message = "The production database is private: no public endpoint (public_access_cidrs must be empty)."
  }

  validation {
    condition     = !can(regex("^(?i)db-dev-", var.database.node_type))
    error_message = "Production does not run on db-dev-* node types."
  }
}

variable "prevent_database_destroy" {
  type        = bool
  description = "Refuse any plan that deletes or replaces the production database (lifecycle prevent_destroy on the RDB instance and the application database). Set to false only in a reviewed change meant to delete it; the CLI's guard still asks for --allow-destroy."
  default     = true
}

variable "alert_contact_emails" {
  type        = list(string)
  description = "Email contact points of this environment's Cockpit alert manager: the people on call. Required, set in terraform.tfvars; placeholder domains (example.org, .test...) are refused."
}

variable "log_level" {
  type        = string
  description = "EvalAP LOG_LEVEL."
  default     = "INFO"
}

variable "protect_secrets" {
  type        = bool
  description = "Mark Secret Manager secrets as protected (deletion fails until unprotected)."
  default     = true
}

variable "migration" {
  type = object({
    id   = string
    args = list(string)
  })
  description = "Set by evalap-infra migrate (and deploy) for one run of the migration runner, then null again. Never set it in tfvars."
  default     = null
}
