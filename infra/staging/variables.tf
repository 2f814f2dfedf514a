# Inputs of the staging root. Names are the interface of the CLI (-var images), of operators
# (TF_VAR_state_passphrase) and of terraform.tfvars: do not rename them.
# Here: the staging defaults and the staging-specific validations. The validations that
# hold for every environment (images, app_secret_names, memory >= 2 GiB, 0 <= min_scale <=
# max_scale, log_level, retention ranges...) are in ../modules/evalap-platform/variables.tf.
# Staging only: scale to zero allowed (min_scale = 0), no HA, 1 to 14 days of backups.

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
  description = "Environment variables EvalAP reads from Secret Manager. Names only: the values are Secret Manager's (`evalap-infra secrets set staging NAME` writes them), and each needs an enabled version before the first full apply. Validated by the platform module (names EvalAP reads, ADMIN_TOKEN and EVALAP_FRONTEND_TOKEN required)."
  default     = ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "OPENAI_API_KEY"]
}

variable "project_id" {
  type        = string
  description = "This environment's own Scaleway project: `environment_settings.staging.project_id` of infra/bootstrap. Set it in terraform.tfvars; no default, so that no apply lands in whatever project the shell defaults to."
}

variable "project_name" {
  type        = string
  description = "The name project_id must have: an apply pointed at another environment's project fails before changing anything."
  default     = "evalap-staging"
}

variable "registry_project_id" {
  type        = string
  description = "Project holding the shared registry namespace: `environment_settings.staging.registry_project_id` of infra/bootstrap (null: this environment's project)."
  default     = null
}

variable "state_bucket" {
  type        = string
  description = "Bucket holding this environment's state (created by infra/bootstrap). Also used by the s3 backend."
  default     = "evalap-tfstate-staging"

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
  default     = "172.16.8.0/22"
}

variable "container" {
  type = object({
    cpu_limit                     = optional(number, 2240)
    memory_limit_bytes            = optional(number, 4096000000)
    min_scale                     = optional(number, 0)
    max_scale                     = optional(number, 2)
    concurrent_requests_threshold = optional(number, 50)
  })
  description = "Sizing and scaling of the EvalAP containers. Staging may scale to zero (runs in progress are then lost when the container stops)."
  default     = {}
}

variable "enable_ui" {
  type        = bool
  description = "Deploy the Streamlit UI container (evalap-ui)."
  default     = true
}

variable "database" {
  type = object({
    node_type              = optional(string, "db-dev-m")
    high_availability      = optional(bool, false)
    encryption_at_rest     = optional(bool, true)
    volume_size_in_gb      = optional(number, 10)
    backup_frequency_hours = optional(number, 24)
    backup_retention_days  = optional(number, 7)
    public_access_cidrs    = optional(list(string), [])
    max_connections        = optional(number, 400)
    connection_budget      = optional(string, "steady")
  })
  description = "Managed PostgreSQL settings. Staging: no HA, short retention; a public endpoint only with explicit ACL CIDRs. db-dev-m (4 GB, up to 400 connections): the steady connection budget of 2 API + 1 UI instances is 320, more than a db-dev-s (2 GB, 200) carries (infra/README.md, Connection budget)."
  default     = {}

  validation {
    condition     = var.database.backup_retention_days >= 1 && var.database.backup_retention_days <= 14
    error_message = "Staging keeps backups between 1 and 14 days (production keeps 30)."
  }
}

variable "prevent_database_destroy" {
  type        = bool
  description = "Refuse any plan that deletes or replaces the database (lifecycle prevent_destroy). Off in staging: the CLI's guard asks for --allow-destroy instead."
  default     = false
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
  default     = false
}

variable "migration" {
  type = object({
    id   = string
    args = list(string)
  })
  description = "Set by evalap-infra migrate (and deploy) for one run of the migration runner, then null again. Never set it in tfvars."
  default     = null
}
