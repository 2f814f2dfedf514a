# Credentials from the environment (SCW_ACCESS_KEY, SCW_SECRET_KEY, SCW_DEFAULT_ORGANIZATION_ID,
# SCW_DEFAULT_REGION, SCW_DEFAULT_ZONE). The project is not: every resource of this environment goes to
# var.project_id, its own project, whatever SCW_DEFAULT_PROJECT_ID the shell holds.
provider "scaleway" {
  project_id = var.project_id
}
