# The catalogue below uses the product names the real API answers (the provider's cockpit cassettes, kept
# in src/sandbox/apis/cockpit/catalogue.ts): "PostgreSQL", "Kubernetes", "Cockpit". An earlier mock invented
# "rdb-postgresql" and "serverless-containers", which is how a filter that matched nothing passed here.
mock_provider "scaleway" {
  mock_data "scaleway_cockpit_preconfigured_alert" {
    defaults = {
      alerts = [
        {
          annotations           = {}
          data_source_id        = "11111111-1111-4111-8111-111111111111"
          display_description   = "PostgreSQLHighStorageUsage"
          display_name          = "PostgreSQLHighStorageUsage"
          duration              = "5m"
          name                  = "PostgreSQLHighStorageUsage"
          preconfigured_rule_id = "rule-pg-1"
          product_family        = "Managed Databases"
          product_name          = "PostgreSQL"
          rule                  = "mock"
          rule_status           = "disabled"
          state                 = "inactive"
        },
        {
          annotations           = {}
          data_source_id        = "11111111-1111-4111-8111-111111111111"
          display_description   = "PostgreSQLInstanceNotReady"
          display_name          = "PostgreSQLInstanceNotReady"
          duration              = "5m"
          name                  = "PostgreSQLInstanceNotReady"
          preconfigured_rule_id = "rule-pg-2"
          product_family        = "Managed Databases"
          product_name          = "PostgreSQL"
          rule                  = "mock"
          rule_status           = "disabled"
          state                 = "inactive"
        },
        {
          annotations           = {}
          data_source_id        = "11111111-1111-4111-8111-111111111111"
          display_description   = "KubernetesNodeNotReady"
          display_name          = "KubernetesNodeNotReady"
          duration              = "5m"
          name                  = "KubernetesNodeNotReady"
          preconfigured_rule_id = "rule-k8s-1"
          product_family        = "Containers"
          product_name          = "Kubernetes"
          rule                  = "mock"
          rule_status           = "disabled"
          state                 = "inactive"
        },
        {
          annotations           = {}
          data_source_id        = "11111111-1111-4111-8111-111111111111"
          display_description   = "CockpitIngestionDecrease"
          display_name          = "CockpitIngestionDecrease"
          duration              = "5m"
          name                  = "CockpitIngestionDecrease"
          preconfigured_rule_id = "rule-cockpit-1"
          product_family        = "Observability"
          product_name          = "Cockpit"
          rule                  = "mock"
          rule_status           = "disabled"
          state                 = "inactive"
        },
      ]
    }
  }
}

variables {
  contact_emails               = ["oncall@evalap.beta.gouv.fr"]
  preconfigured_alert_products = ["PostgreSQL"]
}

run "postgresql_alerts_reach_the_contacts" {
  command = apply

  assert {
    condition     = toset(scaleway_cockpit_alert_manager.this.preconfigured_alert_ids) == toset(["rule-pg-1", "rule-pg-2"])
    error_message = "Exactly the PostgreSQL rules are enabled."
  }

  assert {
    condition     = scaleway_cockpit_alert_manager.this.contact_points[0].email == "oncall@evalap.beta.gouv.fr"
    error_message = "Alerts go to the contact points."
  }
}

run "product_names_ignore_case" {
  command = apply

  variables {
    preconfigured_alert_products = ["postgresql", "KUBERNETES"]
  }

  assert {
    condition     = toset(scaleway_cockpit_alert_manager.this.preconfigured_alert_ids) == toset(["rule-pg-1", "rule-pg-2", "rule-k8s-1"])
    error_message = "Product names compare without case."
  }
}

run "a_substring_is_not_a_product" {
  command = plan

  variables {
    preconfigured_alert_products = ["postgres", "rdb"]
  }

  expect_failures = [scaleway_cockpit_alert_manager.this]
}

run "serverless_containers_are_not_in_the_catalogue" {
  command = plan

  variables {
    preconfigured_alert_products = ["PostgreSQL", "container"]
  }

  expect_failures = [scaleway_cockpit_alert_manager.this]
}

run "an_empty_filter_enables_every_rule" {
  command = apply

  variables {
    preconfigured_alert_products = []
  }

  assert {
    condition     = length(scaleway_cockpit_alert_manager.this.preconfigured_alert_ids) == 4
    error_message = "An empty product filter enables every preconfigured alert."
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

run "placeholder_domains_are_rejected" {
  command = plan

  variables {
    contact_emails = ["oncall@evalap.beta.gouv.fr", "evalap-ops@example.org"]
  }

  expect_failures = [var.contact_emails]
}

run "reserved_tlds_are_rejected" {
  command = plan

  variables {
    contact_emails = ["ops@evalap.test"]
  }

  expect_failures = [var.contact_emails]
}
