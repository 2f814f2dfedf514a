terraform {
  required_version = ">= 1.11"

  required_providers {
    scaleway = {
      source  = "scaleway/scaleway"
      version = "~> 2.81"
    }
  }

  # Local state on purpose: this root creates the buckets the other roots keep their state in.
  # Its state holds no secret (buckets, policies, a registry namespace); keep the file with the
  # operator or commit it to a private location after the one-time apply.
}
