mock_provider "scaleway" {
  mock_resource "scaleway_vpc" {
    defaults = {
      id = "fr-par/11111111-1111-1111-1111-111111111111"
    }
  }
  mock_resource "scaleway_vpc_private_network" {
    defaults = {
      id = "fr-par/22222222-2222-2222-2222-222222222222"
    }
  }
}

variables {
  name        = "evalap-test"
  ipv4_subnet = "172.16.8.0/22"
}

run "creates_vpc_and_private_network" {
  command = apply

  assert {
    condition     = scaleway_vpc.this.name == "evalap-test-vpc"
    error_message = "The VPC must be named after the environment."
  }

  assert {
    condition     = scaleway_vpc_private_network.this.vpc_id == scaleway_vpc.this.id
    error_message = "The private network must live in the environment's own VPC, not the default one."
  }

  assert {
    condition     = scaleway_vpc_private_network.this.ipv4_subnet[0].subnet == "172.16.8.0/22"
    error_message = "The requested subnet must be used."
  }

  assert {
    condition     = output.private_network_id == "fr-par/22222222-2222-2222-2222-222222222222"
    error_message = "private_network_id output must expose the private network ID."
  }
}

run "rejects_public_subnet" {
  command = plan

  variables {
    ipv4_subnet = "8.8.8.0/24"
  }

  expect_failures = [var.ipv4_subnet]
}

run "rejects_non_eu_region" {
  command = plan

  variables {
    region = "us-east-1"
  }

  expect_failures = [var.region]
}

run "rejects_bad_name" {
  command = plan

  variables {
    name = "Evalap_Test"
  }

  expect_failures = [var.name]
}
