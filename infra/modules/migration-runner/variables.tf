variable "migration" {
  type = object({
    id   = string
    args = list(string)
  })
  description = "The run: id (lower-case letters, digits and dashes, at most 20: the container is migrate-<id>) and Alembic's arguments, e.g. [\"upgrade\", \"head\"]."

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$", var.migration.id))
    error_message = "migration.id must be 1 to 20 lower-case letters, digits or dashes, not starting or ending with a dash (the container's name is migrate-<id>, 34 characters at most)."
  }

  validation {
    condition     = length(var.migration.args) > 0 && contains(["upgrade", "downgrade", "current", "history", "heads"], var.migration.args[0])
    error_message = "migration.args must start with an Alembic command among upgrade, downgrade, current, history, heads."
  }
}

variable "namespace_id" {
  type        = string
  description = "The environment's Serverless Containers namespace."
}

variable "private_network_id" {
  type        = string
  description = "The environment's private network, where the database's private endpoint is."
}

variable "image" {
  type        = string
  description = "The release's image (the API's): it ships the Alembic revisions to run."
}

variable "environment" {
  type        = map(string)
  description = "Plain environment of the API (ENV, DB_NAME, PYTHONPATH...): EvalAP's config reads it when Alembic's env.py imports it."
}

variable "secret_environment" {
  type        = map(string)
  description = "Secret environment: POSTGRES_URL, the database URL without the database name, as the API gets it."
  sensitive   = true

  validation {
    condition     = contains(keys(var.secret_environment), "POSTGRES_URL")
    error_message = "secret_environment must hold POSTGRES_URL: the runner connects with the API's credentials."
  }
}

variable "lock_key" {
  type        = number
  description = "PostgreSQL advisory lock key the runner holds while Alembic runs (one per database: the same for every run)."
  default     = 726173
}

variable "port" {
  type        = number
  description = "Port the runner serves its state on (PORT in its environment)."
  default     = 8080
}

variable "cpu_limit" {
  type        = number
  description = "mvCPU of the runner: Alembic imports EvalAP's models, like the API at start."
  default     = 1000
}

variable "memory_limit_bytes" {
  type        = number
  description = "Memory of the runner, one of Serverless Containers' tiers (infra/README.md)."
  default     = 2048000000
}

variable "region" {
  type        = string
  description = "Scaleway region. Null uses the provider default."
  default     = null
}

variable "tags" {
  type        = list(string)
  description = "Tags of the container."
  default     = []
}
