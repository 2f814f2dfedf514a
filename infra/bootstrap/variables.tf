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

variable "project_names" {
  type        = map(string)
  description = "The Scaleway project created for each environment. The roots check they deploy into the project of this name (their project_name variable)."
  default = {
    staging    = "evalap-staging"
    production = "evalap-production"
  }

  validation {
    condition     = toset(keys(var.project_names)) == toset(["staging", "production"])
    error_message = "project_names must name exactly the staging and production projects."
  }

  validation {
    condition     = length(distinct(values(var.project_names))) == length(var.project_names)
    error_message = "Each environment needs its own project: an alert manager, its contact points and IAM scopes are per project."
  }
}

variable "secret_path_prefix" {
  type        = string
  description = "Secret Manager path prefix of the environments (the roots use /evalap/<environment>): readers are limited to <prefix>/<environment>/."
  default     = "/evalap"

  validation {
    condition     = can(regex("^/[a-z0-9_-]+(/[a-z0-9_-]+)*$", var.secret_path_prefix))
    error_message = "secret_path_prefix must be an absolute path without a trailing slash, e.g. /evalap."
  }
}

variable "admin_principals" {
  type        = list(string)
  description = "Bucket-policy principals with full access (user_id:<uuid> or application_id:<uuid>); include the operator running this bootstrap."
}

variable "ci_principals" {
  type        = map(list(string))
  description = "Per environment, extra principals that read and write state objects only (the environment's deployer and planner applications are always allowed)."
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

# The roots read their state with an s3 backend pinned to fr-par (region = "fr-par", endpoints.s3
# = https://s3.fr-par.scw.cloud in infra/staging/versions.tf and infra/production/versions.tf;
# backend blocks cannot take variables for it here), and the CLI's evalap-infra.json names the same
# region and endpoint for its lock and ledger. A bucket made in another region, which the provider
# default (SCW_DEFAULT_REGION) would give silently, is not reachable by them.
# test/infra/state-region.test.ts checks that these places agree.
variable "state_region" {
  type        = string
  description = "Region of the state buckets: the region of the roots' s3 backends (fr-par). Set explicitly so that SCW_DEFAULT_REGION cannot move the buckets away from the backends."
  default     = "fr-par"

  validation {
    condition     = var.state_region == "fr-par"
    error_message = "state_region must be fr-par, the region the roots' s3 backends read their state from (infra/staging/versions.tf, infra/production/versions.tf: region and endpoints.s3). To move the state, change those backends and evalap-infra.json's remote first, then this validation."
  }
}
