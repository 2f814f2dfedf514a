variable "name" {
  type        = string
  description = "Registry namespace name; images are pushed to rg.<region>.scw.cloud/<name>/<image>:<tag>."

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{2,52}[a-z0-9])$", var.name))
    error_message = "name must be 4-54 lowercase letters, digits or dashes, not starting or ending with a dash."
  }
}

variable "description" {
  type        = string
  description = "Free-text description of the namespace."
  default     = "EvalAP images, promoted from staging to production by reference"
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
