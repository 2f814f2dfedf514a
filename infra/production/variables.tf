# ---------------------------------------------------------------------------------------------
# Set by the CLI (never in tfvars)
# ---------------------------------------------------------------------------------------------

variable "images" {
  type        = map(string)
  description = "Image reference per service, set by the CLI's release ledger with -var. `evalap` is required and used by every service unless a service has its own entry (e.g. evalap-ui). One image runs API, runner and UI."

  validation {
    condition     = contains(keys(var.images), "evalap")
    error_message = "images must contain the key evalap (the EvalAP image)."
  }

  validation {
    condition     = alltrue([for k in keys(var.images) : contains(["evalap", "evalap-ui"], k)])
    error_message = "images keys must be service names: evalap, evalap-ui."
  }

  validation {
    condition     = alltrue([for v in values(var.images) : can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9._-]{1,128}|@sha256:[a-f0-9]{64})$", v)) && !endswith(v, ":latest")])
    error_message = "Each image must be a full reference with a tag or digest (not :latest), e.g. rg.fr-par.scw.cloud/evalap/evalap:1.2.3."
  }
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

variable "app_secrets" {
  type        = map(string)
  description = "EvalAP secrets keyed by environment variable name (ADMIN_TOKEN, EVALAP_FRONTEND_TOKEN, USER_API_KEYS, HF_TOKEN, OPENAI_API_KEY...). Set TF_VAR_app_secrets (JSON) from CI secrets; stored in Secret Manager and injected as secret environment variables."
  sensitive   = true

  validation {
    condition     = alltrue([for k in ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN"] : contains(nonsensitive(keys(var.app_secrets)), k)])
    error_message = "app_secrets must contain at least ADMIN_TOKEN and EVALAP_FRONTEND_TOKEN."
  }

  validation {
    condition = alltrue([for k in nonsensitive(keys(var.app_secrets)) : contains([
      "ADMIN_TOKEN", "USER_API_KEYS", "EVALAP_FRONTEND_TOKEN", "HF_TOKEN",
      "OPENAI_API_KEY", "ALBERT_API_KEY", "ALBERT_API_KEY_STAGING", "ANTHROPIC_API_KEY",
      "MISTRAL_API_KEY", "SCALEWAY_API_KEY", "MFS_API_KEY_V2", "XAI_API_KEY", "CORTEX_API_KEY",
      "ELASTICSEARCH_PASSWORD",
    ], k)])
    error_message = "app_secrets keys must be secret variables EvalAP reads (see infra/README.md); POSTGRES_URL is generated, not passed."
  }
}

# ---------------------------------------------------------------------------------------------
# Environment settings (terraform.tfvars)
# ---------------------------------------------------------------------------------------------

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
    min_scale                     = optional(number, 2)
    max_scale                     = optional(number, 5)
    concurrent_requests_threshold = optional(number, 50)
  })
  description = "Sizing and scaling of the EvalAP containers. Production keeps at least 2 instances of every service (FR-002) and never scales to zero (the runner works in threads after requests return)."
  default     = {}

  validation {
    condition     = var.container.memory_limit_bytes >= 2147483648
    error_message = "EvalAP (4 uvicorn workers, runner, Streamlit, deepeval/ragas) needs at least 2 GiB: memory_limit_bytes >= 2147483648."
  }

  validation {
    condition     = var.container.min_scale >= 2 && var.container.min_scale <= var.container.max_scale
    error_message = "Production needs min_scale >= 2 (FR-002) and min_scale <= max_scale."
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
  })
  description = "Managed PostgreSQL settings. Production: HA, encrypted at rest, 30-day daily backups, private network only."
  default     = {}

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

variable "alert_contact_emails" {
  type        = list(string)
  description = "Email contact points of the Cockpit alert manager."
}

variable "log_level" {
  type        = string
  description = "EvalAP LOG_LEVEL."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "logs_retention_days" {
  type        = number
  description = "Retention of the custom Cockpit logs data source, in days."
  default     = 30

  validation {
    condition     = var.logs_retention_days >= 1 && var.logs_retention_days <= 365
    error_message = "logs_retention_days must be between 1 and 365."
  }
}

variable "protect_secrets" {
  type        = bool
  description = "Mark Secret Manager secrets as protected (deletion fails until unprotected)."
  default     = true
}
