# Cockpit for one environment: custom metrics and logs data sources with their retention, the
# alert manager with email contact points and the preconfigured alerts, and a token that can push
# metrics and logs. Scaleway products (Serverless Containers, RDB) already report to Cockpit's
# managed data sources; the custom sources are for what the application or CI pushes.
#
# The provider has no resource for custom alert rules: see README.md.

resource "scaleway_cockpit_source" "metrics" {
  name           = "${var.name_prefix}-metrics"
  type           = "metrics"
  retention_days = var.metrics_retention_days
  project_id     = var.project_id
  region         = var.region
}

resource "scaleway_cockpit_source" "logs" {
  name           = "${var.name_prefix}-logs"
  type           = "logs"
  retention_days = var.logs_retention_days
  project_id     = var.project_id
  region         = var.region
}

data "scaleway_cockpit_preconfigured_alert" "all" {
  project_id = var.project_id
  region     = var.region
}

locals {
  selected_alerts = [
    for a in data.scaleway_cockpit_preconfigured_alert.all.alerts : a.preconfigured_rule_id
    if length(var.preconfigured_alert_products) == 0 || anytrue([for p in var.preconfigured_alert_products : strcontains(lower(a.product_name), lower(p))])
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
}

resource "scaleway_cockpit_token" "push" {
  name       = "${var.name_prefix}-push"
  project_id = var.project_id
  region     = var.region

  scopes {
    write_metrics = true
    write_logs    = true
    query_metrics = false
    query_logs    = false
  }
}

resource "scaleway_cockpit_token" "rules" {
  count = var.create_rules_token ? 1 : 0

  name       = "${var.name_prefix}-rules"
  project_id = var.project_id
  region     = var.region

  scopes {
    query_metrics       = true
    query_logs          = true
    setup_metrics_rules = true
    setup_logs_rules    = true
    setup_alerts        = true
    write_metrics       = false
    write_logs          = false
  }
}

data "scaleway_cockpit_grafana" "this" {
  project_id = var.project_id
}
