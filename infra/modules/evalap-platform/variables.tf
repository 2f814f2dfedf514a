# Inputs of one EvalAP environment. Defaults live in the roots (infra/staging/variables.tf,
# infra/production/variables.tf), which pass every value explicitly; the validations here hold for
# every environment, the environment-specific ones (production: min_scale >= 2, HA, private
# database, encryption at rest, 30-day backups; staging: <= 14-day backups) stay in the roots.

variable "environment" {
  type        = string
  description = "Environment name: staging, production or another lower-case name. Used in resource names (evalap-<environment>), tags and the Secret Manager path (/evalap/<environment>)."

  validation {
    condition     = contains(["staging", "production"], var.environment) || can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.environment))
    error_message = "environment must be staging, production or a lower-case name (a-z, 0-9, -; 2 to 20 characters, starting with a letter)."
  }
}

variable "project_id" {
  type        = string
  description = "The environment's own Scaleway project (created by infra/bootstrap, output environment_settings). Every resource of the environment is created in it."

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.project_id))
    error_message = "project_id must be a project UUID (infra/bootstrap output environment_settings)."
  }
}

variable "project_name" {
  type        = string
  description = "The name project_id must have (infra/bootstrap names them evalap-<environment>): a root pointed at another environment's project fails before changing anything."
}

variable "registry_project_id" {
  type        = string
  description = "Project of the shared registry namespace (infra/bootstrap output environment_settings); null when it is the environment's project."
  default     = null
}

# ---------------------------------------------------------------------------------------------
# Set by the CLI through the roots (never in tfvars)
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

variable "app_secret_names" {
  type        = set(string)
  description = "Environment variables EvalAP reads from Secret Manager (ADMIN_TOKEN, EVALAP_FRONTEND_TOKEN, USER_API_KEYS, HF_TOKEN, OPENAI_API_KEY...). Names only: the values are Secret Manager's, written by `evalap-infra secrets set`; each needs an enabled version before the first full apply."

  validation {
    condition     = alltrue([for k in ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN"] : contains(var.app_secret_names, k)])
    error_message = "app_secret_names must contain at least ADMIN_TOKEN and EVALAP_FRONTEND_TOKEN."
  }

  validation {
    condition = alltrue([for k in var.app_secret_names : contains([
      "ADMIN_TOKEN", "USER_API_KEYS", "EVALAP_FRONTEND_TOKEN", "HF_TOKEN",
      "OPENAI_API_KEY", "ALBERT_API_KEY", "ALBERT_API_KEY_STAGING", "ANTHROPIC_API_KEY",
      "MISTRAL_API_KEY", "SCALEWAY_API_KEY", "MFS_API_KEY_V2", "XAI_API_KEY", "CORTEX_API_KEY",
      "ELASTICSEARCH_PASSWORD",
    ], k)])
    error_message = "app_secret_names must be secret variables EvalAP reads (see infra/README.md); POSTGRES_URL is generated, not passed."
  }
}

# ---------------------------------------------------------------------------------------------
# Environment settings (the roots' terraform.tfvars and defaults)
# ---------------------------------------------------------------------------------------------

variable "state_bucket" {
  type        = string
  description = "Bucket holding this environment's state (created by infra/bootstrap). Only reported in the state_bucket output; the root's s3 backend uses it."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid bucket name."
  }
}

variable "registry_namespace" {
  type        = string
  description = "Name of the shared Container Registry namespace (created by infra/bootstrap)."
}

variable "private_subnet" {
  type        = string
  description = "IPv4 CIDR of the environment's private network."
}

variable "container" {
  type = object({
    cpu_limit                     = number
    memory_limit_bytes            = number
    min_scale                     = number
    max_scale                     = number
    concurrent_requests_threshold = number
  })
  description = "Sizing and scaling of the EvalAP containers (every service gets the same)."

  # Serverless Containers sells memory in tiers of MB, and Scaleway's MB is 10^6 bytes (scw.MB =
  # 1000 * KB in scaleway-sdk-go scw/custom_types.go; the API's default is 2048000000). The tiers are
  # the price table of scaleway/docs-content pages/serverless-containers/faq.mdx: 128, 256, 512,
  # 1024, 2048, 3072, 4096 MB. EvalAP (4 uvicorn workers, runner, Streamlit, deepeval/ragas) needs
  # 2048 MB or more, so three tiers are allowed; 2 GiB (2147483648) is no tier.
  validation {
    condition     = contains([2048000000, 3072000000, 4096000000], var.container.memory_limit_bytes)
    error_message = "container.memory_limit_bytes must be a Serverless Containers memory tier EvalAP fits in: 2048000000, 3072000000 or 4096000000 (2048, 3072 or 4096 MB; Scaleway counts 1 MB = 10^6 bytes, so 2 GiB = 2147483648 is not a tier)."
  }

  validation {
    condition     = var.container.min_scale >= 0 && var.container.min_scale <= var.container.max_scale
    error_message = "container.min_scale must be between 0 and max_scale."
  }

  # Serverless Containers' limits (Scaleway's containers-limitations page): at most 80 concurrent
  # requests per instance and 50 instances per container; the API refuses more at apply time.
  validation {
    condition     = var.container.concurrent_requests_threshold >= 1 && var.container.concurrent_requests_threshold <= 80
    error_message = "container.concurrent_requests_threshold must be between 1 and 80 (Serverless Containers' per-instance concurrency limit)."
  }

  validation {
    condition     = var.container.max_scale <= 50
    error_message = "container.max_scale must be at most 50 (Serverless Containers' instance limit per container)."
  }
}

variable "enable_ui" {
  type        = bool
  description = "Deploy the Streamlit UI container (evalap-ui)."
}

variable "database" {
  type = object({
    node_type              = string
    high_availability      = bool
    encryption_at_rest     = bool
    volume_size_in_gb      = number
    backup_frequency_hours = number
    backup_retention_days  = number
    public_access_cidrs    = list(string)
    max_connections        = number
    connection_budget      = string
  })
  description = <<-EOT
    Managed PostgreSQL settings. A public endpoint is created only when public_access_cidrs is not
    empty (ACL-restricted). max_connections is set on the instance (engine setting; changing it
    restarts the instance). connection_budget says what the plan-time check counts per EvalAP
    process: "steady" = SQLAlchemy's pool_size (20, the connections a process keeps open), "peak"
    = pool_size + max_overflow (20 + 40, what a process can open at once). See infra/README.md,
    "Connection budget".
  EOT

  validation {
    condition     = var.database.backup_retention_days >= 1 && var.database.backup_retention_days <= 365
    error_message = "database.backup_retention_days must be between 1 and 365."
  }

  # The range the RDB API accepts for every PostgreSQL version and node type: GET /database-engines
  # lists max_connections with int_min 50, int_max 10000, default 100, hot_configurable false
  # (provider v2.81.0 internal/services/rdb/testdata/database-basic.cassette.yaml).
  validation {
    condition     = var.database.max_connections >= 50 && var.database.max_connections <= 10000 && floor(var.database.max_connections) == var.database.max_connections
    error_message = "database.max_connections must be an integer between 50 and 10000 (the range the RDB API accepts)."
  }

  validation {
    condition     = contains(["steady", "peak"], var.database.connection_budget)
    error_message = "database.connection_budget must be steady (count SQLAlchemy's pool_size per process) or peak (pool_size + max_overflow)."
  }
}

variable "prevent_database_destroy" {
  type        = bool
  description = "lifecycle prevent_destroy on the RDB instance and the application database: any plan that deletes or replaces them fails (production). Turning it off is a reviewed change of the root's tfvars; the CLI's guard still asks for --allow-destroy."
}

variable "alert_contact_emails" {
  type        = list(string)
  description = "Email contact points of the project's Cockpit alert manager: the people on call for this environment. Required, no placeholder (validated by modules/cockpit-monitoring)."
}

variable "log_level" {
  type        = string
  description = "EvalAP LOG_LEVEL."

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}


variable "protect_secrets" {
  type        = bool
  description = "Mark Secret Manager secrets as protected (deletion fails until unprotected)."
}

variable "migration" {
  type = object({
    id   = string
    args = list(string)
  })
  description = "A migration run (evalap-infra migrate and deploy set it with -var, then null again): creates the private runner container of modules/migration-runner with the API's image. Null: no runner."
}
