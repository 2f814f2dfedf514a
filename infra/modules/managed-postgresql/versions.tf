terraform {
  # 1.12: prevent_destroy from a variable (opentofu.org/blog/opentofu-1-12-0, "prevent_destroy can
  # now be set dynamically"); 1.11 refuses it.
  required_version = ">= 1.12"

  required_providers {
    scaleway = {
      source  = "scaleway/scaleway"
      version = "~> 2.81"
    }
  }
}
