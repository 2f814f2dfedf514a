/**
 * Scaleway's prices, dated and sourced, for `evalap-infra cost` and the estimate of `plan`.
 * EUR excluding VAT ("Prices announced on our site exclude all taxes",
 * https://www.scaleway.com/en/faq/billing/). A figure is here only when a Scaleway page gives it;
 * a resource type whose figure could not be found is in NOT_PRICED, with the reason, never priced 0.
 * Update: change the figure, its `retrieved` date and `source`, and the tests' expected totals.
 */

export interface PriceEntry {
  /** EUR excluding VAT, per `unit`. */
  price: number;
  unit: string;
  source: string;
  /** The day the figure was read at `source` (YYYY-MM-DD). */
  retrieved: string;
  note?: string;
}

/** One Managed Database node type: the node (billed per node: twice with HA) and the instance's management fee. */
export interface DatabaseNodePrice {
  nodeHour: PriceEntry;
  managementHour: PriceEntry;
}

export interface PriceTable {
  currency: "EUR";
  vat: "excluded";
  /** Hours in a month for monthly figures (365 × 24 / 12). */
  hoursPerMonth: number;
  serverlessContainers: {
    vcpuSecond: PriceEntry;
    /** Per GB of memory tier per second; the FAQ prices the 1024 MB tier at this figure, so GB = tier MB / 1024. */
    memoryGbSecond: PriceEntry;
    /** Per account and month, shared by every project: not subtracted from one environment's estimate. */
    freeTier: { vcpuSeconds: number; memoryGbSeconds: number; applied: false; source: string; retrieved: string };
  };
  /** Managed Database for PostgreSQL node types, lower-case as the API and the roots write them. */
  databaseNodeTypes: Record<string, DatabaseNodePrice>;
  /** Managed Database storage per volume type (sbs_5k, sbs_15k), per GB-month. */
  databaseStorageGbMonth: Record<string, PriceEntry>;
  containerRegistry: { privateStorageGbMonth: PriceEntry };
  cockpit: {
    customMetricsPerMillionSamples: PriceEntry;
    customLogsPerGb: PriceEntry;
    metricsRetentionPer10MillionSamplesDay: PriceEntry;
    logsRetentionPerGbDay: PriceEntry;
  };
}

const RETRIEVED = "2026-12-01";
const CONTAINERS_FAQ =
  "https://www.scaleway.com/en/docs/serverless-containers/faq/ (scaleway/docs-content pages/serverless-containers/faq.mdx, validated 2025-04-02)";
const REGISTRY_FAQ =
  "https://www.scaleway.com/en/docs/container-registry/faq/ (scaleway/docs-content pages/container-registry/faq.mdx, validated 2025-08-19)";
const COCKPIT_FAQ = "https://www.scaleway.com/en/docs/cockpit/faq/ (scaleway/docs-content pages/cockpit/faq.mdx, validated 2025-08-18)";

export const PRICES: PriceTable = {
  currency: "EUR",
  vat: "excluded",
  hoursPerMonth: 730,
  serverlessContainers: {
    vcpuSecond: {
      price: 0.00001,
      unit: "vCPU-s",
      source: CONTAINERS_FAQ,
      retrieved: RETRIEVED,
      note: "€1.00 per 100 000 vCPU-s; billed strictly on memory and CPU (no per-request charge in the FAQ)",
    },
    memoryGbSecond: {
      price: 0.000001,
      unit: "GB-s",
      source: CONTAINERS_FAQ,
      retrieved: RETRIEVED,
      note: "€0.10 per 100 000 GB-s; the 4096 MB tier is €0.000004 per second",
    },
    freeTier: { vcpuSeconds: 200_000, memoryGbSeconds: 400_000, applied: false, source: CONTAINERS_FAQ, retrieved: RETRIEVED },
  },
  // Not found in a Scaleway page this table could cite (the pricing page is not in the stored
  // sources): the database is listed as not priced until its figures are added here.
  databaseNodeTypes: {},
  databaseStorageGbMonth: {},
  containerRegistry: {
    privateStorageGbMonth: { price: 0.027, unit: "GB-month", source: REGISTRY_FAQ, retrieved: RETRIEVED, note: "private images" },
  },
  cockpit: {
    customMetricsPerMillionSamples: {
      price: 0.15,
      unit: "million samples",
      source: COCKPIT_FAQ,
      retrieved: RETRIEVED,
      note: "first volume level",
    },
    customLogsPerGb: { price: 0.35, unit: "GB ingested", source: COCKPIT_FAQ, retrieved: RETRIEVED },
    metricsRetentionPer10MillionSamplesDay: {
      price: 0.0002,
      unit: "10 million samples-day beyond 31 days",
      source: COCKPIT_FAQ,
      retrieved: RETRIEVED,
    },
    logsRetentionPerGbDay: { price: 0.002, unit: "GB-day beyond 7 days", source: COCKPIT_FAQ, retrieved: RETRIEVED },
  },
};

/** Resource types that cost nothing by themselves, with why (and where that is said). */
export const FREE: Readonly<Record<string, string>> = {
  terraform_data: "OpenTofu built-in, not a Scaleway resource",
  scaleway_vpc: "VPCs and Private Networks are free of charge (https://www.scaleway.com/en/docs/vpc/faq)",
  scaleway_vpc_private_network: "VPCs and Private Networks are free of charge (https://www.scaleway.com/en/docs/vpc/faq)",
  scaleway_container_namespace: `Serverless Containers are billed on their containers' memory and CPU only (${CONTAINERS_FAQ})`,
  scaleway_secret:
    "Secret Manager bills secret versions and API requests, not secrets (https://www.scaleway.com/en/docs/secret-manager/faq/)",
  scaleway_rdb_database: "billed through its Database Instance (node, management, storage)",
  scaleway_rdb_user: "billed through its Database Instance (node, management, storage)",
  scaleway_rdb_privilege: "billed through its Database Instance (node, management, storage)",
  scaleway_rdb_acl: "billed through its Database Instance (node, management, storage)",
  scaleway_cockpit_alert_manager: `Scaleway data (the products' own metrics and logs, what the alerts read) is free within the default retention; the roots push no custom data (${COCKPIT_FAQ})`,
  scaleway_object_bucket_policy: "a setting of its bucket: Object Storage bills the bucket's stored GB and requests, not its policy",
  scaleway_account_project: "IAM is free (https://www.scaleway.com/en/docs/iam/faq)",
  scaleway_iam_application: "IAM is free (https://www.scaleway.com/en/docs/iam/faq)",
  scaleway_iam_policy: "IAM is free (https://www.scaleway.com/en/docs/iam/faq)",
  scaleway_iam_api_key: "IAM is free (https://www.scaleway.com/en/docs/iam/faq)",
  scaleway_iam_group: "IAM is free (https://www.scaleway.com/en/docs/iam/faq)",
  scaleway_iam_group_membership: "IAM is free (https://www.scaleway.com/en/docs/iam/faq)",
};

/** Resource types known to cost money that this table cannot price, with why. */
export const NOT_PRICED: Readonly<Record<string, string>> = {
  scaleway_secret_version:
    "billed per version stored and per API request (Secret Manager FAQ); the figures are on Scaleway's pricing page, not found in a source this table can cite",
  scaleway_registry_namespace: `billed on stored private images at €0.027/GB-month (${REGISTRY_FAQ}); the plan does not say how many GB`,
  scaleway_object_bucket:
    "Object Storage is billed on stored GB and requests; the plan does not say how many, and the figure was not found in a citable source",
};
