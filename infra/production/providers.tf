# Configured only from the environment: SCW_ACCESS_KEY, SCW_SECRET_KEY, SCW_DEFAULT_PROJECT_ID,
# SCW_DEFAULT_ORGANIZATION_ID (IAM resources are organization-scoped), SCW_DEFAULT_REGION,
# SCW_DEFAULT_ZONE.
provider "scaleway" {}
