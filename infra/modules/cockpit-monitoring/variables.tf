variable "name_prefix" {
  type        = string
  description = "Prefix of the data sources and token, e.g. evalap-production."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-42 lowercase letters, digits or dashes, starting with a letter."
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

variable "region" {
  type        = string
  description = "Scaleway region. Null uses the provider default (SCW_DEFAULT_REGION)."
  default     = null

  validation {
    condition     = var.region == null || contains(["fr-par", "nl-ams", "pl-waw"], coalesce(var.region, "fr-par"))
    error_message = "region must be one of fr-par, nl-ams, pl-waw (EU residency)."
  }
}

variable "metrics_retention_days" {
  type        = number
  description = "Retention of the custom metrics data source, in days."
  default     = 31

  validation {
    condition     = var.metrics_retention_days >= 1 && var.metrics_retention_days <= 365
    error_message = "metrics_retention_days must be between 1 and 365."
  }
}

variable "logs_retention_days" {
  type        = number
  description = "Retention of the custom logs data source, in days."
  default     = 7

  validation {
    condition     = var.logs_retention_days >= 1 && var.logs_retention_days <= 365
    error_message = "logs_retention_days must be between 1 and 365."
  }
}

variable "contact_emails" {
  type        = list(string)
  description = "Alert manager contact points (email)."

  validation {
    condition     = length(var.contact_emails) > 0
    error_message = "At least one contact email is required so that alerts reach someone."
  }

  validation {
    condition     = alltrue([for e in var.contact_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", e))])
    error_message = "contact_emails must be email addresses."
  }
}

variable "preconfigured_alert_products" {
  type        = list(string)
  description = "Enable the preconfigured alerts whose product_name matches one of these (case-insensitive substring), e.g. [\"container\", \"postgres\"]. Empty enables every preconfigured alert."
  default     = []
}

variable "create_rules_token" {
  type        = bool
  description = "Also create a token with the setup_*_rules and setup_alerts scopes, used to ship custom alert rules to the Mimir/Loki ruler."
  default     = false
}
