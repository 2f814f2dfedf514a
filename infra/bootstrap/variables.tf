variable "state_buckets" {
  type        = map(string)
  description = "State bucket name per environment (names are global: change them if taken)."
  default = {
    staging    = "evalap-tfstate-staging"
    production = "evalap-tfstate-production"
  }

  validation {
    condition     = toset(keys(var.state_buckets)) == toset(["staging", "production"])
    error_message = "state_buckets must name exactly the staging and production buckets."
  }

  validation {
    condition     = length(distinct(values(var.state_buckets))) == length(var.state_buckets)
    error_message = "Each environment needs its own state bucket."
  }
}

variable "admin_principals" {
  type        = list(string)
  description = "Bucket-policy principals with full access (user_id:<uuid> or application_id:<uuid>); include the operator running this bootstrap."
}

variable "ci_principals" {
  type        = map(list(string))
  description = "Per environment, principals (CI applications) that read and write state objects only."
  default     = {}
}

variable "registry_namespace" {
  type        = string
  description = "Name of the shared private Container Registry namespace."
  default     = "evalap"
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days a non-current state version is kept."
  default     = 90
}
