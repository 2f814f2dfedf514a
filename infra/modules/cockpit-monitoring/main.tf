# Cockpit alerting for one environment: the project's alert manager, its email contact points and the
# preconfigured alert rules of the products the environment uses.
#
# The alert manager is one per Scaleway project and region: whoever manages it owns every contact point
# of the project, and destroying it disables alerting for the whole project (the provider's delete
# removes all contact points, internal/services/cockpit/alert_manager.go). So each environment lives in
# its own project (infra/bootstrap creates them) and this module is applied once per project.
#
# No custom data source and no push token: nothing in EvalAP pushes metrics or logs, and Serverless
# Containers and Managed Databases report to the project's Scaleway-managed sources by themselves.
# Custom alert rules on those sources are files in infra/alerts, pushed by `evalap-infra alerts sync`:
# the provider has no resource for them (README.md).

data "scaleway_cockpit_preconfigured_alert" "all" {
  project_id = var.project_id
  region     = var.region
}

locals {
  catalogue = data.scaleway_cockpit_preconfigured_alert.all.alerts

  # Product names as the API spells them ("PostgreSQL", "Kubernetes", "LB"...), compared exactly
  # (case aside): a substring match once turned "postgres" and "container" into rules of other products.
  wanted_products = [for p in var.preconfigured_alert_products : lower(p)]
  listed_products = distinct([for a in local.catalogue : a.product_name])
  unknown_products = [
    for p in var.preconfigured_alert_products : p
    if !contains([for l in local.listed_products : lower(l)], lower(p))
  ]

  selected_alerts = [
    for a in local.catalogue : a.preconfigured_rule_id
    if length(var.preconfigured_alert_products) == 0 || contains(local.wanted_products, lower(a.product_name))
  ]
}

resource "scaleway_cockpit_alert_manager" "this" {
  project_id              = var.project_id
  region                  = var.region
  preconfigured_alert_ids = local.selected_alerts

  dynamic "contact_points" {
    for_each = var.contact_emails
    content {
      email = contact_points.value
    }
  }

  lifecycle {
    # A product the catalogue does not list would enable nothing, silently: refuse it, naming what the
    # API does list, so a renamed product or a typo is seen at plan time.
    precondition {
      condition     = length(local.unknown_products) == 0
      error_message = "preconfigured_alert_products names products the preconfigured-alert catalogue does not list: ${join(", ", local.unknown_products)}. It lists: ${join(", ", local.listed_products)}."
    }
  }
}

data "scaleway_cockpit_grafana" "this" {
  project_id = var.project_id
}
