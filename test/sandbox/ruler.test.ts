import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { SCALEWAY_METRIC_NAMES } from "../../src/sandbox/apis/cockpit/metrics.js";

/** The sandbox's Mimir ruler and label endpoints of data sources, custom and Scaleway-managed, over real HTTP. */
const TOKEN = "5b1f0e8a-3c2d-4e6f-9a7b-8c9d0e1f2a3b";
const ORG = "1b6c1e64-5b0e-4f93-8a1d-2f6e7c0d9a45";
const PROJECT = "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43";

describe("the sandbox's data source ruler", () => {
  let dir: string;
  let sandbox: Sandbox;
  const call = async (url: string, init: RequestInit = {}) =>
    fetch(url, { ...init, headers: { "X-Auth-Token": TOKEN, ...(init.headers as Record<string, string> | undefined) } });
  const api = async <T>(p: string, init: RequestInit = {}): Promise<T> => {
    const res = await call(`${sandbox.url}${p}`, { ...init, headers: { "Content-Type": "application/json" } });
    expect(res.status, p).toBeLessThan(300);
    return (await res.json()) as T;
  };
  type Source = { id: string; url: string; origin: string; type: string };
  const sources = async (query: string) =>
    (await api<{ data_sources: Source[] }>(`/cockpit/v1/regions/fr-par/data-sources?project_id=${PROJECT}&${query}`)).data_sources;
  const post = (url: string, ns: string, yaml: string) =>
    call(`${url}/prometheus/config/v1/rules/${ns}`, { method: "POST", headers: { "Content-Type": "application/yaml" }, body: yaml });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "evalap-ruler-"));
    sandbox = await startSandbox({
      dataDir: path.join(dir, "data"),
      token: TOKEN,
      account: { organizationId: ORG, defaultProjectId: PROJECT },
    });
  });
  afterAll(async () => {
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the Scaleway Metrics source's ruler and metric names at the URL the API gives it", async () => {
    const [metrics] = await sources("origin=scaleway&types=metrics");
    expect(metrics?.url).toBe(`${sandbox.url}/cockpit/datasources/${metrics?.id}`);
    const url = metrics?.url ?? "";
    const names = (await (await call(`${url}/prometheus/api/v1/label/__name__/values`)).json()) as { status: string; data: string[] };
    expect(names).toEqual({ status: "success", data: [...SCALEWAY_METRIC_NAMES] });
    const labels = (await (
      await call(
        `${url}/prometheus/api/v1/labels?${new URLSearchParams({ "match[]": "rdb_instance_postgresql_node_cpu_seconds_total" }).toString()}`,
      )
    ).json()) as { data: string[] };
    expect(labels.data).toEqual(["__name__", "instance", "mode", "project_id", "region", "resource_id", "resource_name"]);

    const empty = await call(`${url}/prometheus/config/v1/rules`);
    expect([empty.status, await empty.text()]).toEqual([404, "no rule groups found\n"]);
    const set = await post(
      url,
      "ns",
      "name: g\ninterval: 30s\nrules:\n  - alert: A\n    expr: up == 0\n    for: 90s\n    labels: {severity: info}\n",
    );
    expect(set.status).toBe(202);
    expect(await set.json()).toEqual({ status: "success", data: null, errorType: "", error: "" });
    const all = await call(`${url}/prometheus/config/v1/rules`);
    expect(all.headers.get("content-type")).toBe("application/yaml");
    expect(parse(await all.text())).toEqual({
      ns: [{ name: "g", interval: "30s", rules: [{ alert: "A", expr: "up == 0", for: "1m30s", labels: { severity: "info" } }] }],
    });
    const one = await call(`${url}/prometheus/config/v1/rules/ns/g`);
    expect(parse(await one.text())).toMatchObject({ name: "g" });
    expect((await call(`${url}/prometheus/config/v1/rules/ns/nope`)).status).toBe(404);
    expect((await call(`${url}/prometheus/config/v1/rules/ns`, { method: "DELETE" })).status).toBe(202);
    expect((await call(`${url}/prometheus/config/v1/rules/ns`)).status).toBe(404);
  });

  it("refuses groups as Mimir does: 400 with the reason as text", async () => {
    const [metrics] = await sources("origin=scaleway&types=metrics");
    const url = metrics?.url ?? "";
    const cases: [string, string][] = [
      ["rules: []\n", "Groupname must not be empty"],
      ["name: g\nrules:\n  - alert: A\n", 'group "g", rule 1, "A": field \'expr\' must be set in rule'],
      ["name: g\nrules:\n  - expr: up\n", "group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set"],
      ["name: g\nrules:\n  - alert: A\n    expr: up\n    for: soon\n", 'group "g", rule 1, "A": invalid duration "soon"'],
      ["- just\n- a list\n", "unable to decoded rule group"],
    ];
    for (const [body, reason] of cases) {
      const res = await post(url, "ns", body);
      expect([res.status, await res.text()], body).toEqual([400, `${reason}\n`]);
    }
    expect((await call(`${url}/prometheus/config/v1/rules/ns`)).status).toBe(404);
  });

  it("keeps a custom metrics source's groups apart, lists no metric names for it, and has no ruler on a logs source", async () => {
    const custom = await api<Source>("/cockpit/v1/regions/fr-par/data-sources", {
      method: "POST",
      body: JSON.stringify({ project_id: PROJECT, name: "custom", type: "metrics" }),
    });
    expect(custom.url).toBe(`${sandbox.url}/cockpit/datasources/${custom.id}`);
    expect(await (await call(`${custom.url}/prometheus/api/v1/label/__name__/values`)).json()).toEqual({ status: "success", data: [] });
    expect((await post(custom.url, "ns", "name: mine\nrules:\n  - record: r\n    expr: up\n")).status).toBe(202);
    const [scaleway] = await sources("origin=scaleway&types=metrics");
    expect((await call(`${scaleway?.url ?? ""}/prometheus/config/v1/rules/ns`)).status).toBe(404);
    expect(Object.keys(parse(await (await call(`${custom.url}/prometheus/config/v1/rules/ns`)).text()) as object)).toEqual(["ns"]);

    const [logs] = await sources("origin=scaleway&types=logs");
    expect((await call(`${logs?.url ?? ""}/prometheus/config/v1/rules`)).status).toBe(404);
    // Without the key, or with another one, as every sandbox API.
    expect((await fetch(`${custom.url}/prometheus/config/v1/rules`)).status).toBe(401);
    expect((await fetch(`${custom.url}/prometheus/config/v1/rules`, { headers: { "X-Auth-Token": ORG } })).status).toBe(403);
  });
});
