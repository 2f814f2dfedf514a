# A private Container Registry namespace. Since provider v2.75 a container namespace no longer
# creates a registry, so the registry is declared on its own. It is shared by the environments:
# an image is pushed once, tested in staging and promoted to production by the same reference.

resource "scaleway_registry_namespace" "this" {
  name        = var.name
  description = var.description
  is_public   = false
  region      = var.region
  project_id  = var.project_id
}
