output "alert_manager_url" {
  description = "Alert manager URL."
  value       = scaleway_cockpit_alert_manager.this.alert_manager_url
}

output "enabled_preconfigured_alerts" {
  description = "IDs of the preconfigured alert rules enabled."
  value       = local.selected_alerts
}

output "grafana_url" {
  description = "Grafana URL of the project (login through IAM)."
  value       = data.scaleway_cockpit_grafana.this.grafana_url
}
