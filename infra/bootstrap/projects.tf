# One project per environment. Scaleway scopes Cockpit (one alert manager and one set of contact points
# per project and region), IAM rules and Secret Manager listing by project: two environments in one
# project overwrite each other's contact points, and destroying one disables the other's alerting.
resource "scaleway_account_project" "environment" {
  for_each = var.project_names

  name        = each.value
  description = "EvalAP ${each.key}: every resource of the environment, managed by infra/${each.key} through evalap-infra."
}
