mock_provider "scaleway" {
  mock_resource "scaleway_object_bucket" {
    defaults = {
      id     = "fr-par/evalap-tfstate-staging"
      region = "fr-par"
    }
  }
}

variables {
  bucket_name      = "evalap-tfstate-staging"
  admin_principals = ["user_id:aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"]
  state_principals = ["application_id:bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"]
}

run "versioned_bucket_with_lifecycle_and_policy" {
  command = apply

  assert {
    condition     = scaleway_object_bucket.this.versioning[0].enabled == true
    error_message = "The state bucket must be versioned."
  }

  assert {
    condition     = scaleway_object_bucket.this.lifecycle_rule[0].enabled && scaleway_object_bucket.this.lifecycle_rule[0].noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "Old state versions must expire."
  }

  assert {
    condition     = scaleway_object_bucket.this.force_destroy == false
    error_message = "The state bucket must never be force-destroyed."
  }

  assert {
    condition     = jsondecode(scaleway_object_bucket_policy.this.policy).Version == "2023-04-17"
    error_message = "Use the Scaleway bucket policy dialect."
  }

  assert {
    condition     = length(jsondecode(scaleway_object_bucket_policy.this.policy).Statement) == 2
    error_message = "Admins and state writers each get a statement."
  }

  assert {
    condition     = !contains(jsondecode(scaleway_object_bucket_policy.this.policy).Statement[1].Action, "s3:*") && !contains(jsondecode(scaleway_object_bucket_policy.this.policy).Statement[1].Action, "s3:DeleteBucket")
    error_message = "State writers are limited to object read/write."
  }

  assert {
    condition     = output.bucket_name == "evalap-tfstate-staging"
    error_message = "bucket_name output."
  }
}

run "no_admin_is_rejected" {
  command = plan

  variables {
    admin_principals = []
  }

  expect_failures = [var.admin_principals]
}

run "malformed_principal_is_rejected" {
  command = plan

  variables {
    admin_principals = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.admin_principals]
}

run "invalid_bucket_name_is_rejected" {
  command = plan

  variables {
    bucket_name = "Evalap_State"
  }

  expect_failures = [var.bucket_name]
}
