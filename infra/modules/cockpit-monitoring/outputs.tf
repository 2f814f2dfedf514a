output "metrics_source_id" {
  description = "ID of the custom metrics data source."
  value       = scaleway_cockpit_source.metrics.id
}

output "metrics_push_url" {
  description = "Prometheus remote-write base URL of the custom metrics data source."
  value       = scaleway_cockpit_source.metrics.push_url
}

output "metrics_url" {
  description = "Query / ruler base URL of the custom metrics data source."
  value       = scaleway_cockpit_source.metrics.url
}

output "logs_push_url" {
  description = "Loki push base URL of the custom logs data source."
  value       = scaleway_cockpit_source.logs.push_url
}

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

output "push_token" {
  description = "Secret key of the push token (write metrics and logs)."
  value       = scaleway_cockpit_token.push.secret_key
  sensitive   = true
}

output "rules_token" {
  description = "Secret key of the rules token, or null when not created."
  value       = try(scaleway_cockpit_token.rules[0].secret_key, null)
  sensitive   = true
}
