// Generated once from the provider v2.81.0's recorded Scaleway answers (internal/services/cockpit/testdata):
// the catalogue Scaleway serves to every project, kept as data so that a module matching alerts on
// product_name meets the real names. Sources: preconfigured alerts from
// cockpit-alert-manager-update-preconfigured-alerts (#37, the fullest list: 22 rules), products from
// cockpit-products-data-source-basic, retention bounds from cockpit-config-data-source-basic, plans
// from cockpit-with-source-endpoints.

/** One preconfigured alert rule, as ListAlerts describes it (its per-project status aside). */
export interface PreconfiguredRule {
  rule_id: string;
  name: string;
  rule: string;
  duration: string;
  annotations: Record<string, string>;
  display_name: string;
  display_description: string;
  product_name: string;
  product_family: string;
}

export const PRECONFIGURED_RULES: readonly PreconfiguredRule[] = [
  {
    rule_id: "feb64cef-c855-4230-a74e-813515fdb357",
    name: "LBBackendServerDown",
    rule: 'load_balancer_lb_backend_agg_server_check_status{state="DOWN", backend_name!=""} > 0',
    duration: "5m",
    annotations: {
      dashboard_path: "/d/scw-lb-overview/lb-overview?var-region={{ $labels.region }}&var-lb_name={{ $labels.resource_name }}",
      description: "Load Balancer {{ $labels.resource_name }} has {{ $value }} server(s) down on backend {{ $labels.backend_name }}",
      display_description: "1 or several Backend server(s) is/are down",
      display_name: "Backend server down",
      family: "Load Balancer",
      product: "LB",
      rule_id: "feb64cef-c855-4230-a74e-813515fdb357",
      summary: "{{ $value }} backend server(s) down on Load Balancer {{ $labels.resource_name }}",
    },
    display_name: "Backend server down",
    display_description: "1 or several Backend server(s) is/are down",
    product_name: "LB",
    product_family: "Load Balancer",
  },
  {
    rule_id: "8dba8eed-25eb-4860-ab33-7cb5ca662036",
    name: "CockpitIngestionDecrease",
    rule: 'increase(observability_cockpit_cortex_distributor_received_samples_total{origin="custom"}[1h] offset 1h) / increase(observability_cockpit_cortex_distributor_received_samples_total{origin="custom"}[1h]) > 2',
    duration: "0s",
    annotations: {
      dashboard_path: "/d/scw-cockpit-overview/cockpit-overview?var-region={{ $labels.region }}",
      description:
        "Cockpit Data Source {{ $labels.resource_name }} - {{ $labels.resource_id }} had a 50% ingestion decrease in the last hour",
      display_description: "50% decrease in metrics ingestion volumes in the past hour",
      display_name: "Metrics Ingestion decrease",
      family: "Observability",
      product: "Cockpit",
      rule_id: "8dba8eed-25eb-4860-ab33-7cb5ca662036",
      summary: "Custom metrics ingestion decrease on Cockpit",
    },
    display_name: "Metrics Ingestion decrease",
    display_description: "50% decrease in metrics ingestion volumes in the past hour",
    product_name: "Cockpit",
    product_family: "Observability",
  },
  {
    rule_id: "f5e3c109-91b3-4586-b580-9f86529c1df8",
    name: "HighCpuUsage",
    rule: '1 - (avg by (instance, resource_name, resource_id, project_id, region) (irate(rkv_cluster_node_cpu_seconds_total{mode="idle"}[5m]))) > 0.8',
    duration: "10m",
    annotations: {
      dashboard_path: "/d/scw-redis-overview/redis-overview?var-region={{ $labels.region }}&var-resource_name={{ $labels.resource_name }}",
      description:
        "Redis™ {{ $labels.instance }} node on instance {{ $labels.resource_name }} - {{ $labels.resource_id }} has a CPU usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High CPU usage",
      family: "Managed Databases",
      product: "Redis",
      rule_id: "f5e3c109-91b3-4586-b580-9f86529c1df8",
      summary: "High CPU usage on Redis™ {{ $labels.instance }} node",
    },
    display_name: "High CPU usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "Redis",
    product_family: "Managed Databases",
  },
  {
    rule_id: "c8991f90-facb-436c-b4ab-6aa13822a451",
    name: "PostgreSQLHighStorageUsage",
    rule: "1 - rdb_instance_postgresql_node_filesystem_avail_bytes / rdb_instance_postgresql_node_filesystem_size_bytes > 0.8",
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-rdb-postgresql-overview/rdb-postgresql-overview?&var-region={{ $labels.region }}&var-resource_name={{ $labels.resource_name }}",
      description:
        "PostgreSQL™ {{ $labels.instance }} node on instance {{ $labels.resource_name }} - {{ $labels.resource_id }} has a disk usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High storage usage",
      family: "Managed Databases",
      product: "PostgreSQL",
      rule_id: "c8991f90-facb-436c-b4ab-6aa13822a451",
      summary: "High disk usage on RDB PostgreSQL™ {{ $labels.resource_name }} cluster.",
    },
    display_name: "High storage usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "PostgreSQL",
    product_family: "Managed Databases",
  },
  {
    rule_id: "fcf06e62-22ee-4e86-9b16-3cc9708e1b07",
    name: "LBHighConnectionLoad",
    rule: "load_balancer_lb_connection_usage > 0.8",
    duration: "10m",
    annotations: {
      dashboard_path:
        "https://{{ $labels.project_id }}.dashboard.cockpit.scaleway.com/d/scw-lb-overview/lb-overview?var-region={{ $labels.region }}&var-lb_name={{ $labels.resource_name }}",
      description: "Load Balancer {{ $labels.resource_name }} has a connection usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High connection usage",
      family: "Load Balancer",
      product: "LB",
      rule_id: "fcf06e62-22ee-4e86-9b16-3cc9708e1b07",
      summary: "High connection usage on Load Balancer {{ $labels.resource_name }}",
    },
    display_name: "High connection usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "LB",
    product_family: "Load Balancer",
  },
  {
    rule_id: "f8834c3d-4d3d-49a2-9164-0236d4c93590",
    name: "MySQLHighStorageUsage",
    rule: "1 - rdb_instance_mysql_node_filesystem_avail_bytes / rdb_instance_mysql_node_filesystem_size_bytes > 0.8",
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-rdb-mysql-overview/rdb-mysql-overview?&var-region={{ $labels.region }}&var-resource_name={{ $labels.resource_name }}",
      description:
        "MySQL™ {{ $labels.instance }} node on instance {{ $labels.resource_name }} - {{ $labels.resource_id }} has a disk usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High storage usage",
      family: "Managed Databases",
      product: "MySQL",
      rule_id: "f8834c3d-4d3d-49a2-9164-0236d4c93590",
      summary: "High disk usage on RDB MySQL™ {{ $labels.resource_name }} cluster",
    },
    display_name: "High storage usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "MySQL",
    product_family: "Managed Databases",
  },
  {
    rule_id: "09396fbe-bddc-47a3-8072-c4246bef03c1",
    name: "APIServerHighMemoryUsage",
    rule: 'max by (resource_name, project_id, region) (kubernetes_cluster_k8s_shoot_controlplane_memory_usage_bytes{component="api-server"}) / sum by (resource_name, project_id, region) (kubernetes_cluster_k8s_shoot_controlplane_memory_limit_bytes{component="api-server"}) > 0.9',
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-kubernetes-cluster-overview/kubernetes-cluster-overview?&var-region={{ $labels.region }}&var-cluster_name={{ $labels.resource_name }}",
      description:
        "The managed api-server of the {{ $labels.resource_name }} Kubernetes cluster is using more than 90% of its available memory since 10m. Scaleway recommends upgrading your Kubernetes cluster to have more memory for your api-server. Refer to our dedicated Kubernetes Control Plane offer for more details (https://www.scaleway.com/en/kubernetes-dedicated-control-plane/) (not available in all regions).",
      display_description: "> 90 % for 10 minutes",
      display_name: "High api-server memory usage",
      family: "Containers",
      product: "Kubernetes",
      rule_id: "09396fbe-bddc-47a3-8072-c4246bef03c1",
      summary: "High api-server memory usage on the {{ $labels.resource_name }} Kubernetes cluster",
    },
    display_name: "High api-server memory usage",
    display_description: "> 90 % for 10 minutes",
    product_name: "Kubernetes",
    product_family: "Containers",
  },
  {
    rule_id: "6c6843af-1815-46df-9e52-6feafcf31fd7",
    name: "PostgresqlTooManyConnections",
    rule: "(sum by (instance, resource_name, resource_id, project_id, region) (rdb_instance_postgresql_pg_stat_database_numbackends)) / on (instance, resource_name, resource_id) group_left () rdb_instance_postgresql_pg_settings_max_connections > 0.8",
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-rdb-postgresql-overview/rdb-postgresql-overview?&var-region={{ $labels.region }}&var-resource_name={{ $labels.resource_name }}",
      description:
        "PostgreSQL™ {{ $labels.instance }} node on instance {{ $labels.resource_name }} - {{ $labels.resource_id }} has a connection usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "Too many connections",
      family: "Managed Databases",
      product: "PostgreSQL",
      rule_id: "6c6843af-1815-46df-9e52-6feafcf31fd7",
      summary: "Too many connections on RDB PostgreSQL™ {{ $labels.resource_name }} cluster",
    },
    display_name: "Too many connections",
    display_description: "> 80 % for 10 minutes",
    product_name: "PostgreSQL",
    product_family: "Managed Databases",
  },
  {
    rule_id: "e930945c-8b42-48fe-94db-12abc81d27f4",
    name: "ServerlessSQLDatabaseHighCPUUsage",
    rule: '(rate(serverless_db_postgresql_cpu_usage_seconds{mode!="idle"}[2m]) / (serverless_db_postgresql_cpu_provisioned / 100000)) > 0.9',
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-serverless-sql-database-overview/serverless-sql-database-overview?var-region={{ $labels.region }}&var-database={{ $labels.resource_name }}",
      description:
        "Serverless SQL Database {{ $labels.resource_name }} with id {{ $labels.resource_id }} has a CPU usage superior to 90% since 10 minutes and cannot scale-up above its maximum vCPU configuration. To avoid performance degradation in your application, we recommend you increase maximum vCPU in your database configuration or investigate your SQL queries generating this high workload on your database.\nAccess your database configuration: https://console.scaleway.com/serverless-db/databases/fr-par/{{ $labels.resource_id }}/overview",
      display_description: "> 90 % for 10 minutes",
      display_name: "High CPU usage",
      family: "Serverless",
      product: "SQL Databases",
      rule_id: "e930945c-8b42-48fe-94db-12abc81d27f4",
      summary: "High CPU usage on Serverless SQL Database {{ $labels.resource_name }}.",
    },
    display_name: "High CPU usage",
    display_description: "> 90 % for 10 minutes",
    product_name: "SQL Databases",
    product_family: "Serverless",
  },
  {
    rule_id: "769bd543-6030-4540-bd2d-5e2d0604e767",
    name: "LBHighCPULoad",
    rule: "load_balancer_lb_cpu_usage > 0.8",
    duration: "10m",
    annotations: {
      dashboard_path:
        "https://{{ $labels.project_id }}.dashboard.cockpit.scaleway.com/d/scw-lb-overview/lb-overview?var-region={{ $labels.region }}&var-lb_name={{ $labels.resource_name }}",
      description: "Load Balancer {{ $labels.resource_name }} has a CPU usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High CPU usage",
      family: "Load Balancer",
      product: "LB",
      rule_id: "769bd543-6030-4540-bd2d-5e2d0604e767",
      summary: "High CPU usage on Load Balancer {{ $labels.resource_name }}",
    },
    display_name: "High CPU usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "LB",
    product_family: "Load Balancer",
  },
  {
    rule_id: "669f781a-adab-4e3c-984e-fb149f8b67a3",
    name: "CockpitIngestionIncrease",
    rule: 'increase(observability_cockpit_cortex_distributor_received_samples_total{origin="custom"}[1h] offset 1h) / increase(observability_cockpit_cortex_distributor_received_samples_total{origin="custom"}[1h]) < 0.5',
    duration: "0s",
    annotations: {
      dashboard_path: "/d/scw-cockpit-overview/cockpit-overview?var-region={{ $labels.region }}",
      description:
        "Cockpit Data Source {{ $labels.resource_name }} - {{ $labels.resource_id }} had a 100% ingestion increase in the last hour",
      display_description: "100% increase in metrics ingestion volumes in the past hour",
      display_name: "Metrics ingestion increase",
      family: "Observability",
      product: "Cockpit",
      rule_id: "669f781a-adab-4e3c-984e-fb149f8b67a3",
      summary: "Custom metrics ingestion increase on Cockpit",
    },
    display_name: "Metrics ingestion increase",
    display_description: "100% increase in metrics ingestion volumes in the past hour",
    product_name: "Cockpit",
    product_family: "Observability",
  },
  {
    rule_id: "dc9b67ae-baa6-4a37-907d-2a6c31304561",
    name: "NodesNotReady",
    rule: "sum by (resource_name, project_id, region) (kubernetes_cluster_k8s_shoot_nodes) - sum by (resource_name, project_id, region) (kubernetes_cluster_k8s_shoot_nodes_ready) > 0",
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-kubernetes-cluster-overview/kubernetes-cluster-overview?&var-region={{ $labels.region }}&var-cluster_name={{ $labels.resource_name }}",
      description: "{{ $value }} nodes are not ready since 10m.",
      display_description: "> 0 for 10 minutes",
      display_name: "Nodes not ready",
      family: "Containers",
      product: "Kubernetes",
      rule_id: "dc9b67ae-baa6-4a37-907d-2a6c31304561",
      summary: "Nodes not ready on the {{ $labels.resource_name }} Kubernetes cluster",
    },
    display_name: "Nodes not ready",
    display_description: "> 0 for 10 minutes",
    product_name: "Kubernetes",
    product_family: "Containers",
  },
  {
    rule_id: "89d456d0-8614-40a2-b0a6-682ea25e98b6",
    name: "LBHighMemoryLoad",
    rule: "load_balancer_lb_memory_usage > 0.8",
    duration: "10m",
    annotations: {
      dashboard_path:
        "https://{{ $labels.project_id }}.dashboard.cockpit.scaleway.com/d/scw-lb-overview/lb-overview?var-region={{ $labels.region }}&var-lb_name={{ $labels.resource_name }}",
      description: "Load Balancer {{ $labels.resource_name }} has a memory usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High memory usage",
      family: "Load Balancer",
      product: "LB",
      rule_id: "89d456d0-8614-40a2-b0a6-682ea25e98b6",
      summary: "High memory usage on Load Balancer {{ $labels.resource_name }}",
    },
    display_name: "High memory usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "LB",
    product_family: "Load Balancer",
  },
  {
    rule_id: "ac63ebdc-eaba-4aeb-a771-4d028363a75b",
    name: "DataWarehouseHighCPUUsage",
    rule: '(rate(data_warehouse_clickhouse_cpu_provisioned{mode!="idle"}[2m]) / (data_warehouse_clickhouse_cpu_provisioned / 100000)) > 0.9',
    duration: "10m",
    annotations: {
      description:
        "Data Warehouse {{ $labels.resource_name }} with id {{ $labels.resource_id }} has a CPU usage superior to 90% since 10 minutes and cannot scale-up above its maximum vCPU configuration. To avoid performance degradation in your application, we recommend you increase maximum vCPU in your data warehouse configuration or investigate your SQL queries generating this high workload on your data warehouse.\nAccess your data warehouse configuration: https://console.scaleway.com/data-warehouse/fr-par/deployments{{ $labels.resource_id }}/overview",
      display_description: "> 90 % for 10 minutes",
      display_name: "High CPU usage",
      family: "Data & Analytics",
      product: "Data Warehouse",
      rule_id: "ac63ebdc-eaba-4aeb-a771-4d028363a75b",
      summary: "High CPU usage on Data Warehouse {{ $labels.resource_name }}.",
    },
    display_name: "High CPU usage",
    display_description: "> 90 % for 10 minutes",
    product_name: "Data Warehouse",
    product_family: "Data & Analytics",
  },
  {
    rule_id: "d3974dcd-0f02-47cf-a266-67223e579390",
    name: "APIServerHighCPUUsage",
    rule: 'max by (resource_name, project_id, region) (kubernetes_cluster_k8s_shoot_controlplane_cpu_usage{component="api-server"}) / sum by (resource_name, project_id, region) (kubernetes_cluster_k8s_shoot_controlplane_cpu_limit{component="api-server"}) > 0.9',
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-kubernetes-cluster-overview/kubernetes-cluster-overview?&var-region={{ $labels.region }}&var-cluster_name={{ $labels.resource_name }}",
      description:
        "The managed api-server of the {{ $labels.resource_name }} Kubernetes cluster is using more than 90% of its available CPU since 10m. Scaleway recommends upgrading your Kubernetes cluster to have dedicated resources for your api-server. Refer to our dedicated Kubernetes Control Plane offer for more details (https://www.scaleway.com/en/kubernetes-dedicated-control-plane/) (not available in all regions).",
      display_description: "> 90 % for 10 minutes",
      display_name: "High api-server CPU usage",
      family: "Containers",
      product: "Kubernetes",
      rule_id: "d3974dcd-0f02-47cf-a266-67223e579390",
      summary: "High api-server CPU usage on the {{ $labels.resource_name }} Kubernetes cluster",
    },
    display_name: "High api-server CPU usage",
    display_description: "> 90 % for 10 minutes",
    product_name: "Kubernetes",
    product_family: "Containers",
  },
  {
    rule_id: "eb8a941e-698d-47d6-b62d-4b6c13f7b4b7",
    name: "MySQLTooManyConnections",
    rule: "rdb_instance_mysql_mysql_global_status_threads_connected / rdb_instance_mysql_mysql_global_variables_max_connections > 0.8",
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-rdb-mysql-overview/rdb-mysql-overview?&var-region={{ $labels.region }}&var-resource_name={{ $labels.resource_name }}",
      description:
        "MySQL™ {{ $labels.instance }} node on instance {{ $labels.resource_name }} - {{ $labels.resource_id }} has a connection usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "Too many connections",
      family: "Managed Databases",
      product: "MySQL",
      rule_id: "eb8a941e-698d-47d6-b62d-4b6c13f7b4b7",
      summary: "Too many connections on RDB MySQL™ {{ $labels.resource_name }} cluster",
    },
    display_name: "Too many connections",
    display_description: "> 80 % for 10 minutes",
    product_name: "MySQL",
    product_family: "Managed Databases",
  },
  {
    rule_id: "3c5b3a41-69de-43ed-9217-e3002d687c53",
    name: "HighMemoryUsage",
    rule: "1 - ((sum by (instance, resource_name, resource_id, project_id, region) (rkv_cluster_node_memory_MemAvailable_bytes)) / sum by (instance, resource_name, resource_id, project_id, region) (rkv_cluster_node_memory_MemTotal_bytes)) > 0.8",
    duration: "10m",
    annotations: {
      dashboard_path: "/d/scw-redis-overview/redis-overview?var-region={{ $labels.region }}&var-resource_name={{ $labels.resource_name }}",
      description:
        "Redis™ {{ $labels.instance }} node on instance {{ $labels.resource_name }} - {{ $labels.resource_id }} has a memory usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High memory usage",
      family: "Managed Databases",
      product: "Redis",
      rule_id: "3c5b3a41-69de-43ed-9217-e3002d687c53",
      summary: "High memory usage on Redis™ {{ $labels.instance }} node",
    },
    display_name: "High memory usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "Redis",
    product_family: "Managed Databases",
  },
  {
    rule_id: "1c16c699-e00e-4be8-b05d-d8cd2797f2a7",
    name: "InstanceHighCPUUsage",
    rule: "(rate(instance_server_cpu_seconds_total[1m])) / instance_server_vcpu_count > 0.9",
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-instance-overview/instance-overview?var-region={{ $labels.region }}&var-availability_zone={{ $labels.az }}&var-server_name={{ $labels.resource_name }}",
      description: "Instance {{ $labels.resource_name }} has a CPU usage superior to 90% since 10 minutes",
      display_description: "> 90 % for 10 minutes",
      display_name: "High CPU usage",
      family: "Compute",
      product: "Instance",
      rule_id: "1c16c699-e00e-4be8-b05d-d8cd2797f2a7",
      summary: "High CPU usage on instance {{ $labels.resource_name }}",
    },
    display_name: "High CPU usage",
    display_description: "> 90 % for 10 minutes",
    product_name: "Instance",
    product_family: "Compute",
  },
  {
    rule_id: "835bd0fc-57ea-43cf-ba2f-2b637e85eedb",
    name: "LBHighBandwidthLoad",
    rule: "load_balancer_lb_bandwidth_in_usage > 0.8 or load_balancer_lb_bandwidth_out_usage > 0.8",
    duration: "10m",
    annotations: {
      dashboard_path: "/d/scw-lb-overview/lb-overview?var-region={{ $labels.region }}&var-lb_name={{ $labels.resource_name }}",
      description: "Load Balancer {{ $labels.resource_name }} has a bandwidth usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High bandwidth usage",
      family: "Load Balancer",
      product: "LB",
      rule_id: "835bd0fc-57ea-43cf-ba2f-2b637e85eedb",
      summary: "High bandwidth usage on Load Balancer {{ $labels.resource_name }}",
    },
    display_name: "High bandwidth usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "LB",
    product_family: "Load Balancer",
  },
  {
    rule_id: "615245e6-3882-4d99-8798-d17ca1c95645",
    name: "PostgreSQLHighCPULoad",
    rule: '1 - avg by (instance, resource_name, resource_id, project_id, region) (irate(rdb_instance_postgresql_node_cpu_seconds_total{mode="idle"}[5m])) > 0.8',
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-rdb-postgresql-overview/rdb-postgresql-overview?&var-region={{ $labels.region }}&var-resource_name={{ $labels.resource_name }}",
      description:
        "PostgreSQL™ {{ $labels.instance }} node on instance {{ $labels.resource_name }} - {{ $labels.resource_id }} has a CPU usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High CPU usage",
      family: "Managed Databases",
      product: "PostgreSQL",
      rule_id: "615245e6-3882-4d99-8798-d17ca1c95645",
      summary: "High CPU usage on RDB PostgreSQL™ {{ $labels.resource_name }} cluster.",
    },
    display_name: "High CPU usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "PostgreSQL",
    product_family: "Managed Databases",
  },
  {
    rule_id: "d1b1b4a0-7215-494b-9d81-796e52c7ed0e",
    name: "LBBackendDown",
    rule: 'load_balancer_lb_backend_status{state="DOWN", backend_name!=""} > 0',
    duration: "5m",
    annotations: {
      dashboard_path: "/d/scw-lb-overview/lb-overview?var-region={{ $labels.region }}&var-lb_name={{ $labels.resource_name }}",
      description: "Backend {{ $labels.backend_name }} is down on Load Balancer {{ $labels.resource_name }}",
      display_description: "All servers for a given Backend are down",
      display_name: "Backend down",
      family: "Load Balancer",
      product: "LB",
      rule_id: "d1b1b4a0-7215-494b-9d81-796e52c7ed0e",
      summary: "Backend is down on Load Balancer {{ $labels.resource_name }}",
    },
    display_name: "Backend down",
    display_description: "All servers for a given Backend are down",
    product_name: "LB",
    product_family: "Load Balancer",
  },
  {
    rule_id: "76f01e05-79d1-4509-93f2-67eb84586070",
    name: "MySQLHighCPULoad",
    rule: '1 - avg by (instance, resource_name, resource_id, project_id, region) (irate(rdb_instance_mysql_node_cpu_seconds_total{mode="idle"}[5m])) > 0.8',
    duration: "10m",
    annotations: {
      dashboard_path:
        "/d/scw-rdb-mysql-overview/rdb-mysql-overview?&var-region={{ $labels.region }}&var-resource_name={{ $labels.resource_name }}",
      description:
        "MySQL™ {{ $labels.instance }} node on instance {{ $labels.resource_name }} - {{ $labels.resource_id }} has a CPU usage superior to 80% since 10m",
      display_description: "> 80 % for 10 minutes",
      display_name: "High CPU usage",
      family: "Managed Databases",
      product: "MySQL",
      rule_id: "76f01e05-79d1-4509-93f2-67eb84586070",
      summary: "High CPU usage on RDB MySQL™ {{ $labels.resource_name }} cluster.",
    },
    display_name: "High CPU usage",
    display_description: "> 80 % for 10 minutes",
    product_name: "MySQL",
    product_family: "Managed Databases",
  },
];

export interface Product {
  display_name: string;
  family_name: string;
  name: string;
  resource_types: string[];
}

export const PRODUCTS: readonly Product[] = [
  {
    display_name: "Block Storage",
    family_name: "Storage",
    name: "sbs",
    resource_types: ["sbs_volume", "sbs_snapshot"],
  },
  {
    display_name: "Cockpit",
    family_name: "Observability",
    name: "observability",
    resource_types: ["observability_cockpit", "observability_exporter"],
  },
  {
    display_name: "CPU & GPU Instances",
    family_name: "Compute",
    name: "instance",
    resource_types: ["instance_server", "vpc_pn"],
  },
  {
    display_name: "Data Lab",
    family_name: "Data & Analytics",
    name: "datalab",
    resource_types: ["spk_datalab"],
  },
  {
    display_name: "Data Warehouse",
    family_name: "Data & Analytics",
    name: "data-warehouse",
    resource_types: ["data_warehouse_clickhouse"],
  },
  {
    display_name: "Edge Services",
    family_name: "Network",
    name: "edge-services",
    resource_types: ["edge_content_delivery_service"],
  },
  {
    display_name: "Generative APIs",
    family_name: "AI",
    name: "generative-apis",
    resource_types: ["generative_apis"],
  },
  {
    display_name: "GPU Clusters",
    family_name: "High Performance Compute",
    name: "hpc",
    resource_types: ["hpc"],
  },
  {
    display_name: "Interlink",
    family_name: "Network",
    name: "interlink",
    resource_types: ["interlink", "interlink_dedicated_connection"],
  },
  {
    display_name: "IoT Hub",
    family_name: "Integration Services",
    name: "iot",
    resource_types: ["iot_hub", "iot_device"],
  },
  {
    display_name: "Kubernetes",
    family_name: "Containers",
    name: "kubernetes",
    resource_types: ["kubernetes_cluster"],
  },
  {
    display_name: "Load Balancer",
    family_name: "Network",
    name: "lb",
    resource_types: ["load_balancer"],
  },
  {
    display_name: "Managed Inference",
    family_name: "AI",
    name: "inference",
    resource_types: ["inference_deployment", "llm_inference_deployment"],
  },
  {
    display_name: "Messaging and Queuing",
    family_name: "Integration Services",
    name: "mnq",
    resource_types: ["mnq_namespace", "mnq_nats", "mnq_sqs", "mnq_sns"],
  },
  {
    display_name: "MongoDB",
    family_name: "Databases",
    name: "mongodb",
    resource_types: ["mgdb_instance"],
  },
  {
    display_name: "Object Storage",
    family_name: "Storage",
    name: "object-storage",
    resource_types: ["object_storage_bucket"],
  },
  {
    display_name: "PostgreSQL & MySQL",
    family_name: "Databases",
    name: "rdb",
    resource_types: ["rdb_instance_postgresql", "rdb_instance_mysql"],
  },
  {
    display_name: "Public Gateway",
    family_name: "Network",
    name: "public-gateway",
    resource_types: ["public_gateway"],
  },
  {
    display_name: "Redis",
    family_name: "Databases",
    name: "rkv",
    resource_types: ["rkv_cluster"],
  },
  {
    display_name: "Secret Manager",
    family_name: "Security & Identity",
    name: "secret-manager",
    resource_types: ["secret_manager_secret", "secret_manager_method"],
  },
  {
    display_name: "Serverless Functions and Containers",
    family_name: "Serverless Compute",
    name: "serverless",
    resource_types: ["serverless_function", "serverless_function_build", "serverless_container", "serverless_container_trigger"],
  },
  {
    display_name: "Serverless Jobs",
    family_name: "Serverless Compute",
    name: "serverless-jobs",
    resource_types: ["serverless_job"],
  },
  {
    display_name: "Serverless SQL",
    family_name: "Databases",
    name: "serverless-db",
    resource_types: ["serverless_db_postgresql"],
  },
  {
    display_name: "Site-to-Site VPN",
    family_name: "Network",
    name: "svpn",
    resource_types: ["svpn_gateway"],
  },
  {
    display_name: "Transactional Emails",
    family_name: "Domains & Web Hosting",
    name: "transactional-email",
    resource_types: ["tem"],
  },
  {
    display_name: "VPC",
    family_name: "Network",
    name: "vpc",
    resource_types: ["vpc_pn"],
  },
];

export const RETENTION_CONFIG = {
  custom_logs_retention: {
    default_days: 7,
    max_days: 1825,
    min_days: 1,
  },
  custom_metrics_retention: {
    default_days: 31,
    max_days: 1825,
    min_days: 1,
  },
  custom_traces_retention: {
    default_days: 7,
    max_days: 1825,
    min_days: 1,
  },
  product_logs_retention: {
    default_days: 7,
    max_days: 1825,
    min_days: 1,
  },
  product_metrics_retention: {
    default_days: 31,
    max_days: 1825,
    min_days: 1,
  },
} as const;

export interface Plan {
  logs_ingestion_price: number;
  monthly_price: number;
  name: string;
  retention_logs_interval: string;
  retention_metrics_interval: string;
  retention_traces_interval: string;
  sample_ingestion_price: number;
  traces_ingestion_price: number;
}

export const PLANS: readonly Plan[] = [
  {
    logs_ingestion_price: 35,
    monthly_price: 29,
    name: "custom",
    retention_logs_interval: "2678400s",
    retention_metrics_interval: "31536000s",
    retention_traces_interval: "2678400s",
    sample_ingestion_price: 15,
    traces_ingestion_price: 35,
  },
  {
    logs_ingestion_price: 35,
    monthly_price: 0,
    name: "free",
    retention_logs_interval: "604800s",
    retention_metrics_interval: "2678400s",
    retention_traces_interval: "604800s",
    sample_ingestion_price: 15,
    traces_ingestion_price: 35,
  },
  {
    logs_ingestion_price: 35,
    monthly_price: 29,
    name: "premium",
    retention_logs_interval: "2678400s",
    retention_metrics_interval: "31536000s",
    retention_traces_interval: "2678400s",
    sample_ingestion_price: 15,
    traces_ingestion_price: 35,
  },
];
