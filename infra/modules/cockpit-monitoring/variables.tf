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

  # Reserved names (RFC 2606, RFC 6761) never receive mail: a placeholder left in a tfvars file would make
  # every alert go nowhere.
  validation {
    condition     = alltrue([for e in var.contact_emails : !can(regex("@(.+\\.)?(example\\.(com|net|org)|example|invalid|localhost|test)$", lower(e)))])
    error_message = "contact_emails holds a placeholder address (example.com/.net/.org, .example, .invalid, .localhost, .test): set the real addresses of the people on call."
  }
}

variable "preconfigured_alert_products" {
  type        = list(string)
  description = "Enable the preconfigured alerts of these products, named as the catalogue names them (data scaleway_cockpit_preconfigured_alert: \"PostgreSQL\", \"Kubernetes\", \"LB\"...; case-insensitive, exact). A name the catalogue does not list is refused. Empty enables every preconfigured alert."
  default     = []
}

