/**
 * The metric names the sandbox's "Scaleway Metrics" data source says it holds
 * (`GET <url>/prometheus/api/v1/label/__name__/values`) and the labels of each
 * (`GET <url>/prometheus/api/v1/labels?match[]=<name>`): what `alerts sync` checks rule
 * expressions against. Each name says how sure we are of it.
 */

/** Labels of the RDB metrics, from the `by (...)` clauses and matchers of the same recorded rules. */
const RDB_LABELS = ["instance", "project_id", "region", "resource_id", "resource_name"] as const;
/**
 * NOT verified, like the container names below: third-party queries group them `by (resource_id,
 * region)` or select `resource_name`; `status_code` (the "response status code" Scaleway lists) is a guess.
 */
const CONTAINER_LABELS = ["project_id", "region", "resource_id", "resource_name"] as const;

/**
 * Verified: used by the preconfigured alert rules Scaleway serves on the Scaleway Metrics source,
 * recorded in the provider v2.81.0's cassette
 * internal/services/cockpit/testdata/cockpit-alert-manager-update-preconfigured-alerts.cassette.yaml
 * (PostgresqlTooManyConnections, PostgreSQLHighStorageUsage, PostgreSQLHighCPULoad).
 */
export const VERIFIED_METRICS = [
  "rdb_instance_postgresql_node_cpu_seconds_total",
  "rdb_instance_postgresql_node_filesystem_avail_bytes",
  "rdb_instance_postgresql_node_filesystem_size_bytes",
  "rdb_instance_postgresql_pg_settings_max_connections",
  "rdb_instance_postgresql_pg_stat_database_numbackends",
] as const;

/**
 * NOT verified against Scaleway: Scaleway documents what Serverless Containers report (status,
 * instances, CPU and memory per instance, requests per second, response status codes, network
 * bytes: scaleway/docs-content pages/serverless-containers/how-to/monitor-container.mdx) but not
 * the metric names. The prefix is certain (the resource type `serverless_container`, recorded in
 * cockpit-products-data-source-basic.cassette.yaml; metrics are named `<resource type>_<metric>` as
 * the RDB ones above show); these suffixes come from third-party public code that queries Cockpit
 * (serverless_container_instances_total, _requests_per_second, _cpu_usage_ratio,
 * _memory_usage_bytes, _memory_limit_bytes). On a real project, `alerts sync` checks every name
 * against the data source's own list and fails, naming it, when one is wrong: that check, not
 * this list, is what keeps a wrong name from shipping a rule that never fires.
 */
export const UNVERIFIED_CONTAINER_METRICS = [
  "serverless_container_cpu_usage_ratio",
  "serverless_container_instances_total",
  "serverless_container_memory_limit_bytes",
  "serverless_container_memory_usage_bytes",
  "serverless_container_requests_per_second",
] as const;

export const SCALEWAY_METRIC_NAMES: readonly string[] = [...VERIFIED_METRICS, ...UNVERIFIED_CONTAINER_METRICS].sort();

/** The label names a metric of the Scaleway Metrics source carries (`__name__` included, as Prometheus lists it). */
export function scalewayMetricLabels(metric: string): string[] {
  const labels: string[] = metric.startsWith("rdb_")
    ? [...RDB_LABELS]
    : metric.startsWith("serverless_container_")
      ? [...CONTAINER_LABELS]
      : [];
  // Verified: PostgreSQLHighCPULoad selects {mode="idle"}.
  if (metric.endsWith("_node_cpu_seconds_total")) labels.push("mode");
  if (metric === "serverless_container_requests_per_second") labels.push("status_code");
  return SCALEWAY_METRIC_NAMES.includes(metric) ? ["__name__", ...labels].sort() : [];
}
