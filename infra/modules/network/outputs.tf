output "vpc_id" {
  description = "ID of the VPC."
  value       = scaleway_vpc.this.id
}

output "private_network_id" {
  description = "ID of the private network (feeds scaleway_container.private_network_id and rdb private_network.pn_id)."
  value       = scaleway_vpc_private_network.this.id
}

output "ipv4_subnet" {
  description = "IPv4 CIDR of the private network."
  value       = try(scaleway_vpc_private_network.this.ipv4_subnet[0].subnet, null)
}
