variable "namespace_name" {
  type        = string
  description = "Name of the Serverless Containers namespace, e.g. evalap-staging."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,32}[a-z0-9]$", var.namespace_name))
    error_message = "namespace_name must be 3-34 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "description" {
  type        = string
  description = "Description of the namespace."
  default     = "EvalAP serverless containers"
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
  description = "Project ID of the namespace (containers inherit it). Null uses the provider default."
  default     = null

  validation {
    condition     = var.project_id == null || can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", coalesce(var.project_id, "x")))
    error_message = "project_id must be a UUID."
  }
}

variable "tags" {
  type        = list(string)
  description = "Tags set on the namespace and every container."
  default     = []
}

variable "private_network_id" {
  type        = string
  description = "Private network the services with private_network = true attach to (VPC integration). Null attaches none."
  default     = null
}

variable "services" {
  description = <<-EOT
    Containers keyed by service name. health_path is used by the liveness and startup HTTP probes
    and published in the `services` output, which the CLI reads for its post-deploy health checks;
    expect (published with it) says what a good answer's body looks like: json = true (it parses
    as JSON) and/or contains = "text". Secret values never go here: put them in
    var.secret_environment.
  EOT
  type = map(object({
    image                         = string
    port                          = number
    health_path                   = string
    command                       = optional(list(string))
    args                          = optional(list(string))
    cpu_limit                     = optional(number, 1000)
    memory_limit_bytes            = optional(number, 2048000000)
    min_scale                     = optional(number, 0)
    max_scale                     = optional(number, 5)
    timeout                       = optional(number, 300)
    privacy                       = optional(string, "public")
    protocol                      = optional(string, "http1")
    https_only                    = optional(bool, true)
    concurrent_requests_threshold = optional(number, 50)
    environment                   = optional(map(string), {})
    private_network               = optional(bool, true)
    description                   = optional(string)
    liveness_probe = optional(object({
      failure_threshold = optional(number, 3)
      interval          = optional(string, "10s")
      timeout           = optional(string, "5s")
    }), {})
    startup_probe = optional(object({
      failure_threshold = optional(number, 30)
      interval          = optional(string, "10s")
      timeout           = optional(string, "5s")
    }), {})
    expect = optional(object({
      json     = optional(bool, false)
      contains = optional(string)
    }), {})
  }))

  validation {
    condition     = length(var.services) > 0
    error_message = "At least one service is required."
  }

  validation {
    condition     = alltrue([for name in keys(var.services) : can(regex("^[a-z][a-z0-9-]{0,32}[a-z0-9]$", name))])
    error_message = "Service names must be 2-34 lowercase letters, digits or dashes, starting with a letter."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : length(trimspace(s.image)) > 0 && !endswith(s.image, ":latest")])
    error_message = "Every service needs an explicit image reference with a tag or digest other than :latest."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.port >= 1 && s.port <= 65535 && floor(s.port) == s.port])
    error_message = "port must be an integer between 1 and 65535."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.min_scale >= 0 && s.max_scale >= 1 && s.min_scale <= s.max_scale && s.max_scale <= 50])
    error_message = "Scaling must satisfy 0 <= min_scale <= max_scale <= 50 and max_scale >= 1."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.cpu_limit >= 70 && s.memory_limit_bytes >= 128000000])
    error_message = "cpu_limit is in mvCPU (>= 70) and memory_limit_bytes in bytes (>= 128 MB)."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : contains(["public", "private"], s.privacy)])
    error_message = "privacy must be public or private."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : contains(["http1", "h2c"], s.protocol)])
    error_message = "protocol must be http1 or h2c."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.timeout >= 10 && s.timeout <= 3600])
    error_message = "timeout must be between 10 and 3600 seconds."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.concurrent_requests_threshold >= 1 && s.concurrent_requests_threshold <= 1000])
    error_message = "concurrent_requests_threshold must be between 1 and 1000."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : startswith(s.health_path, "/") && !strcontains(s.health_path, " ")])
    error_message = "health_path must be an absolute HTTP path served by the application, e.g. /openapi.json."
  }

  validation {
    # null != "" is true: an unset contains passes.
    condition     = alltrue([for s in values(var.services) : s.expect.contains != ""])
    error_message = "expect.contains must be a non-empty text (leave it unset for no body check)."
  }

  validation {
    condition = alltrue(flatten([for s in values(var.services) : [
      for d in [s.liveness_probe.interval, s.liveness_probe.timeout, s.startup_probe.interval, s.startup_probe.timeout] :
      can(regex("^[0-9]+(ms|s|m)$", d))
    ]]))
    error_message = "Probe interval and timeout are durations such as 10s, 500ms or 1m."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.liveness_probe.failure_threshold >= 1 && s.startup_probe.failure_threshold >= 1])
    error_message = "Probe failure_threshold must be at least 1."
  }

  validation {
    condition = alltrue(flatten([for s in values(var.services) : [
      for k in keys(s.environment) : !can(regex("(?i)(password|passwd|secret|token|api_?key|private_?key|credential|postgres_url|database_url)", k))
    ]]))
    error_message = "Secret-looking variables (password, secret, token, API key, POSTGRES_URL...) must go in secret_environment, not in environment."
  }

  validation {
    condition = alltrue(flatten([for s in values(var.services) : [
      for k in keys(s.environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]{0,99}$", k))
    ]]))
    error_message = "Environment variable names must be valid identifiers of at most 100 characters."
  }
}

variable "secret_environment" {
  type        = map(map(string))
  description = "Secret environment variables keyed by service name, then by variable name. Sent as secret_environment_variables (hashed by the API, kept in the encrypted state). Pass {} when there are none."
  sensitive   = true
}
