variable "bucket_name" {
  type        = string
  description = "Globally unique bucket name for the OpenTofu state of one environment."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !strcontains(var.bucket_name, "..")
    error_message = "bucket_name must be 3-63 lowercase letters, digits, dots or dashes."
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
  description = "Project ID. Null uses the provider default. For a non-default project every bucket sub-resource needs it."
  default     = null

  validation {
    condition     = var.project_id == null || can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", coalesce(var.project_id, "x")))
    error_message = "project_id must be a UUID."
  }
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days a non-current state version is kept (rollback window for a broken state). Lock-file churn multiplies versions."
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 7 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days must be between 7 and 3650."
  }
}

variable "admin_principals" {
  type        = list(string)
  description = "Principals with full access to the bucket, in Scaleway bucket-policy form: user_id:<uuid> or application_id:<uuid>. Include whoever bootstraps, or you lock yourself out."

  validation {
    condition     = length(var.admin_principals) > 0
    error_message = "At least one admin principal is required: a bucket policy denies everyone it does not list."
  }

  validation {
    condition     = alltrue([for p in var.admin_principals : can(regex("^(user_id|application_id):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", p))])
    error_message = "Principals look like user_id:<uuid> or application_id:<uuid>."
  }
}

variable "state_principals" {
  type        = list(string)
  description = "Principals (typically the CI application) that read and write state objects and lock files only."
  default     = []

  validation {
    condition     = alltrue([for p in var.state_principals : can(regex("^(user_id|application_id):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", p))])
    error_message = "Principals look like user_id:<uuid> or application_id:<uuid>."
  }
}

variable "tags" {
  type        = map(string)
  description = "Bucket tags."
  default     = {}
}
