variable "name_prefix" {
  type        = string
  description = "Prefix of the secret names, e.g. evalap-staging."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-42 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "path" {
  type        = string
  description = "Secret Manager path for this environment, e.g. /evalap/production."

  validation {
    condition     = can(regex("^/[a-z0-9_/-]*[a-z0-9_-]$", var.path))
    error_message = "path must be an absolute path such as /evalap/staging."
  }
}

variable "secrets" {
  type = map(object({
    description = optional(string, "")
    protected   = optional(bool, false)
  }))
  description = "Secrets to create, keyed by the environment variable name the application reads (e.g. ADMIN_TOKEN). The secret is named <name_prefix>-<lowercase key with dashes>."

  validation {
    condition     = alltrue([for k in keys(var.secrets) : can(regex("^[A-Z][A-Z0-9_]{0,62}$", k))])
    error_message = "Secret keys are environment variable names: uppercase letters, digits and underscores."
  }
}

variable "project_id" {
  type        = string
  description = "Project holding the secrets."

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.project_id))
    error_message = "project_id must be a UUID."
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

variable "tags" {
  type        = list(string)
  description = "Tags set on the secrets."
  default     = []
}
