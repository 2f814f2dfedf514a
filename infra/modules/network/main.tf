# A dedicated VPC per environment and one regional private network in it. Serverless Containers
# attach to the private network (private_network_id) and the managed PostgreSQL instance gets an
# IPAM endpoint on it, so database traffic never leaves the VPC.

resource "scaleway_vpc" "this" {
  name   = "${var.name}-vpc"
  region = var.region
  tags   = var.tags
}

resource "scaleway_vpc_private_network" "this" {
  name   = "${var.name}-pn"
  vpc_id = scaleway_vpc.this.id
  region = var.region
  tags   = var.tags

  dynamic "ipv4_subnet" {
    for_each = var.ipv4_subnet == null ? [] : [var.ipv4_subnet]
    content {
      subnet = ipv4_subnet.value
    }
  }
}
