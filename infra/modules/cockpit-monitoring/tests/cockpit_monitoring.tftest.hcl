mock_provider "scaleway" {
  mock_resource "scaleway_cockpit_source" {
    defaults = {
      push_url = "https://mock.metrics.cockpit.fr-par.scw.cloud"
    }
  }
  mock_data "scaleway_cockpit_preconfigured_alert" {
    defaults = {
      alerts = [
        {
          annotations           = {}
          data_source_id        = "ds-1"
          display_description   = "Container restarts"
          display_name          = "ContainerRestarts"
          duration              = "5m"
          name                  = "ServerlessContainerRestarting"
          preconfigured_rule_id = "rule-container-1"
          product_family        = "serverless"
          product_name          = "serverless-containers"
          rule                  = "mock"
          rule_status           = "disabled"
          state                 = "inactive"
        },
        {
          annotations           = {}
          data_source_id        = "ds-1"
          display_description   = "Database CPU high"
          display_name          = "RdbCpuHigh"
          duration              = "5m"
          name                  = "RdbPostgresqlCpuHigh"
          preconfigured_rule_id = "rule-rdb-1"
          product_family        = "databases"
          product_name          = "rdb-postgresql"
          rule                  = "mock"
          rule_status           = "disabled"
          state                 = "inactive"
        },
        {
          annotations           = {}
          data_source_id        = "ds-1"
          display_description   = "Instance down"
          display_name          = "InstanceDown"
          duration              = "5m"
          name                  = "InstanceDown"
          preconfigured_rule_id = "rule-instance-1"
          product_family        = "compute"
          product_name          = "instance"
          rule                  = "mock"
          rule_status           = "disabled"
          state                 = "inactive"
        },
      ]
    }
  }
}

variables {
  name_prefix                  = "evalap-production"
  contact_emails               = ["ops@example.org"]
  metrics_retention_days       = 31
  logs_retention_days          = 14
  preconfigured_alert_products = ["container", "postgres"]
}

run "sources_alerts_and_token" {
  command = apply

  assert {
    condition     = scaleway_cockpit_source.metrics.type == "metrics" && scaleway_cockpit_source.metrics.retention_days == 31
    error_message = "Custom metrics source with its retention."
  }

  assert {
    condition     = scaleway_cockpit_source.logs.type == "logs" && scaleway_cockpit_source.logs.retention_days == 14
    error_message = "Custom logs source with its retention."
  }

  assert {
    condition     = toset(scaleway_cockpit_alert_manager.this.preconfigured_alert_ids) == toset(["rule-container-1", "rule-rdb-1"])
    error_message = "Only the preconfigured alerts of the selected products are enabled."
  }

  assert {
    condition     = scaleway_cockpit_alert_manager.this.contact_points[0].email == "ops@example.org"
    error_message = "Alerts go to the contact points."
  }

  assert {
    condition     = scaleway_cockpit_token.push.scopes[0].write_metrics && !scaleway_cockpit_token.push.scopes[0].query_metrics
    error_message = "The push token writes metrics and cannot query."
  }

  assert {
    condition     = length(scaleway_cockpit_token.rules) == 0
    error_message = "No rules token unless asked for."
  }
}

run "all_alerts_and_rules_token" {
  command = apply

  variables {
    preconfigured_alert_products = []
    create_rules_token           = true
  }

  assert {
    condition     = length(scaleway_cockpit_alert_manager.this.preconfigured_alert_ids) == 3
    error_message = "An empty product filter enables every preconfigured alert."
  }

  assert {
    condition     = scaleway_cockpit_token.rules[0].scopes[0].setup_metrics_rules && scaleway_cockpit_token.rules[0].scopes[0].setup_alerts
    error_message = "The rules token can set up rules and alerts."
  }
}

run "no_contact_is_rejected" {
  command = plan

  variables {
    contact_emails = []
  }

  expect_failures = [var.contact_emails]
}

run "bad_email_is_rejected" {
  command = plan

  variables {
    contact_emails = ["not-an-email"]
  }

  expect_failures = [var.contact_emails]
}

run "retention_out_of_range_is_rejected" {
  command = plan

  variables {
    metrics_retention_days = 400
  }

  expect_failures = [var.metrics_retention_days]
}
