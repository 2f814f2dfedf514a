variable "name" {
  type        = string
  description = "Name prefix for the VPC and its private network, e.g. evalap-staging."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name))
    error_message = "name must be 3-42 characters of lowercase letters, digits and dashes, starting with a letter."
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

variable "ipv4_subnet" {
  type        = string
  description = "IPv4 CIDR of the private network (RFC 1918). Null lets Scaleway choose one."
  default     = null

  validation {
    condition = var.ipv4_subnet == null || (
      can(cidrhost(coalesce(var.ipv4_subnet, "0.0.0.0/0"), 0)) &&
      can(regex("^(10\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|192\\.168\\.)", coalesce(var.ipv4_subnet, "x")))
    )
    error_message = "ipv4_subnet must be a valid private (RFC 1918) IPv4 CIDR such as 172.16.8.0/22."
  }
}

variable "tags" {
  type        = list(string)
  description = "Tags set on the VPC and the private network."
  default     = []
}
