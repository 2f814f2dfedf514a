terraform {
  required_version = ">= 1.11"

  required_providers {
    scaleway = {
      source  = "scaleway/scaleway"
      version = "~> 2.81"
    }
  }

  # State in Scaleway Object Storage (bucket made by infra/bootstrap). Credentials come from
  # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY set to the Scaleway access and secret keys: the s3
  # backend does not read SCW_*. No `encrypt = true`: it fails on Scaleway; the state is encrypted
  # client-side below. Locking uses a .tflock object with conditional writes (use_lockfile).
  backend "s3" {
    bucket = var.state_bucket
    key    = "production/terraform.tfstate"
    region = "fr-par"
    endpoints = {
      s3 = "https://s3.fr-par.scw.cloud"
    }
    use_path_style              = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_s3_checksum            = true
    use_lockfile                = true
  }

  # OpenTofu state and plan encryption, enforced: without the passphrase (TF_VAR_state_passphrase)
  # nothing is written in plaintext, it fails instead.
  encryption {
    key_provider "pbkdf2" "state" {
      passphrase = var.state_passphrase
    }

    method "aes_gcm" "state" {
      keys = key_provider.pbkdf2.state
    }

    state {
      method   = method.aes_gcm.state
      enforced = true
    }

    plan {
      method   = method.aes_gcm.state
      enforced = true
    }
  }
}
