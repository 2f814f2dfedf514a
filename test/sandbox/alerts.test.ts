import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { rulerClient, RulerError } from "../../src/alerts/ruler.js";
import { syncGroups } from "../../src/alerts/sync.js";
import { rejection } from "../helpers/rejection.js";
import { sandboxProject, type RunningSandbox, type SandboxRun } from "../helpers/sandbox.js";

/**
 * The alert rules on the sandbox daemon, real HTTP end to end: `alerts sync` finds the project's
 * Scaleway Metrics source through the SDK, checks the rules' metric names against its label values
 * and converges its ruler namespace to infra/alerts; `deploy sandbox` runs the same step after a
 * healthy release, and a failing sync leaves the release healthy with exit 17.
 */
describe("alert rules on the sandbox", () => {
  let sb: RunningSandbox;
  const NS = "evalap-sandbox";

  beforeAll(async () => {
    sb = await sandboxProject({ readyDelay: "0s" });
  }, 120_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  type SyncData = {
    namespace: string;
    created: string[];
    updated: string[];
    deleted: string[];
    unchanged: string[];
    projectId: string;
    dataSource: { id: string; url: string };
  };
  const run = (...args: string[]) => sb.run([...args, "--json"]);
  const syncData = (events: SandboxRun["events"]) => events.find((e) => e.type === "data" && e.kind === "alerts.sync")?.data as SyncData;
  /** What the ruler holds in the namespace, read back as Cockpit's GET answers it. */
  const stored = async (url: string): Promise<{ name: string; rules: { alert: string; expr: string; for?: string }[] }[]> => {
    const res = await fetch(`${url}/prometheus/config/v1/rules/${NS}`, { headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey } });
    if (res.status === 404) return [];
    expect(res.headers.get("content-type")).toContain("yaml");
    return (parse(await res.text()) as Record<string, { name: string; rules: { alert: string; expr: string }[] }[]>)[NS] ?? [];
  };
  const alerts = (file: string) => path.join(sb.projectDir, "infra", "alerts", file);
  let url = "";

  it("creates the groups of infra/alerts (common and the staging root's) in the Scaleway Metrics source of the project", async () => {
    const r = await run("alerts", "sync", "sandbox");
    expect(r.exitCode, r.output).toBe(0);
    const data = syncData(r.events);
    expect(data).toMatchObject({ namespace: NS, projectId: sb.descriptor.environmentProject.id, updated: [], deleted: [], unchanged: [] });
    expect(data.created.sort()).toEqual(["evalap-api-scale", "evalap-containers", "evalap-database"]);
    url = data.dataSource.url;
    // The sandbox answers a URL it serves itself (src/sandbox/README.md), under its API's base URL.
    expect(url.startsWith(`${sb.descriptor.apiUrl}/cockpit/datasources/`)).toBe(true);
    const groups = await stored(url);
    expect(groups.map((g) => g.name).sort()).toEqual(data.created.sort());
    expect(groups.find((g) => g.name === "evalap-database")?.rules.map((rule) => rule.alert)).toContain("EvalapDatabaseConnectionsNearMax");
    // The key never reaches the output.
    expect(r.stdout + r.stderr).not.toContain(sb.descriptor.scaleway.secretKey);
  }, 300_000);

  it("a second sync changes nothing", async () => {
    const before = await stored(url);
    const r = await run("alerts", "sync", "sandbox");
    expect(r.exitCode, r.output).toBe(0);
    expect(syncData(r.events)).toMatchObject({ created: [], updated: [], deleted: [] });
    expect(syncData(r.events).unchanged).toHaveLength(3);
    expect(await stored(url)).toEqual(before);
  }, 300_000);

  it("sets a group whose file changed, and deletes a group whose file is gone", async () => {
    const file = alerts("database.yaml");
    const original = await readFile(file, "utf8");
    await writeFile(file, original.replace("> 0.7", "> 0.75"));
    const changed = await run("alerts", "sync", "sandbox");
    expect(changed.exitCode, changed.output).toBe(0);
    expect(syncData(changed.events)).toMatchObject({ created: [], updated: ["evalap-database"], deleted: [] });
    expect((await stored(url)).find((g) => g.name === "evalap-database")?.rules[0]?.expr).toContain("> 0.75");

    await rm(file);
    const removed = await run("alerts", "sync", "sandbox");
    expect(removed.exitCode, removed.output).toBe(0);
    expect(syncData(removed.events)).toMatchObject({ created: [], updated: [], deleted: ["evalap-database"] });
    expect((await stored(url)).map((g) => g.name).sort()).toEqual(["evalap-api-scale", "evalap-containers"]);
    await writeFile(file, original);
  }, 300_000);

  it("a rule on a metric the source does not have fails, naming it, and pushes nothing", async () => {
    const before = await stored(url);
    await writeFile(
      alerts("typo.yaml"),
      [
        "groups:",
        "  - name: evalap-typo",
        "    interval: 1m",
        "    rules:",
        "      - alert: Typo",
        "        expr: sum(serverless_container_instance_total) < 1",
        "        for: 5m",
        "        labels: {severity: critical}",
        "        annotations: {summary: s, description: d}",
        "      - alert: WrongLabel",
        '        expr: sum(serverless_container_instances_total{container_name="evalap"}) < 1',
        "        labels: {severity: critical}",
        "        annotations: {summary: s, description: d}",
        "",
      ].join("\n"),
    );
    const r = await run("alerts", "sync", "sandbox");
    expect(r.exitCode, r.output).toBe(1);
    expect(r.result.error?.code).toBe("alerts_unknown_metrics");
    expect(r.result.error?.message).toContain(
      'serverless_container_instance_total (used by infra/alerts/typo.yaml group "evalap-typo" Typo)',
    );
    // A matcher on a label the metric's series do not carry matches nothing either.
    expect(r.result.error?.message).toContain(
      'serverless_container_instances_total{container_name} (used by infra/alerts/typo.yaml group "evalap-typo" WrongLabel)',
    );
    expect(r.result.error?.hint).toContain("Nothing was pushed");
    // Not even the database group, which was due to come back.
    expect(await stored(url)).toEqual(before);
    await rm(alerts("typo.yaml"));
  }, 300_000);

  it("the ruler refuses a wrong key, a group that does not parse, and reads back durations as Prometheus prints them", async () => {
    const wrong = rulerClient({ url, secretKey: "00000000-0000-4000-8000-000000000000", fetch });
    const err = await rejection(wrong.listGroups(NS));
    expect(err).toBeInstanceOf(RulerError);
    expect(err).toMatchObject({ code: "alerts_unauthorized", exitCode: 9 });

    const bad = await fetch(`${url}/prometheus/config/v1/rules/${NS}`, {
      method: "POST",
      headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey, "Content-Type": "application/yaml" },
      body: "name: [unclosed\n",
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe("unable to decoded rule group\n");

    const right = rulerClient({ url, secretKey: sb.descriptor.scaleway.secretKey, fetch });
    const group = {
      name: "evalap-durations",
      interval: "60s",
      rules: [{ alert: "A", expr: "serverless_container_instances_total > 1", for: "120s" }],
    };
    await right.setGroup("evalap-durations-test", group);
    const back = await right.listGroups("evalap-durations-test");
    expect(back).toEqual([{ name: "evalap-durations", interval: "1m", rules: [{ alert: "A", expr: group.rules[0]?.expr, for: "2m" }] }]);
    const again = await syncGroups(right, "evalap-durations-test", [{ file: "x.yaml", group }], "the source");
    expect(again).toMatchObject({ created: [], updated: [], unchanged: ["evalap-durations"] });
    await right.deleteGroup("evalap-durations-test", "evalap-durations");
    await right.deleteGroup("evalap-durations-test", "evalap-durations"); // gone already: not an error
    expect(await right.listGroups("evalap-durations-test")).toEqual([]);
  });

  it("deploy sandbox syncs the rules after a healthy release; a failing sync leaves it healthy and exits 17", async () => {
    const first = await run("deploy", "sandbox");
    expect(first.exitCode, first.output).toBe(0);
    const deployed = first.events.find((e) => e.type === "data" && e.kind === "deploy")?.data as {
      release: { status: string };
      alerts: { status: string; report: SyncData };
    };
    expect(deployed.release.status).toBe("healthy");
    expect(deployed.alerts.status).toBe("synced");
    // The group the refused sync above did not push comes back with the deploy; the others are left alone.
    expect(deployed.alerts.report).toMatchObject({ namespace: NS, created: ["evalap-database"], updated: [], deleted: [] });
    expect(deployed.alerts.report.unchanged.sort()).toEqual(["evalap-api-scale", "evalap-containers"]);
    expect(first.result.summary).toMatch(/healthy; alert rules evalap-sandbox: 1 created, 2 unchanged$/);

    await writeFile(
      alerts("typo.yaml"),
      (await readFile(alerts("containers.yaml"), "utf8"))
        .replace("evalap-containers", "evalap-typo")
        .replaceAll("serverless_container_cpu_usage_ratio", "serverless_container_cpu_ratio"),
    );
    const second = await run("deploy", "sandbox");
    expect(second.exitCode, second.output).toBe(17);
    const data = second.events.find((e) => e.type === "data" && e.kind === "deploy")?.data as {
      release: { status: string };
      alerts: { status: string; error: { code: string } };
    };
    expect(data.release.status).toBe("healthy");
    expect(data.alerts).toMatchObject({ status: "failed", error: { code: "alerts_unknown_metrics" } });
    const warning = second.events.find(
      (e) => e.type === "log" && e.level === "warn" && String(e.message).includes("alert rules were not synced"),
    );
    expect(String(warning?.message)).toContain("serverless_container_cpu_ratio");
    expect(String(warning?.message)).toContain("retry with `evalap-infra alerts sync sandbox`");
    expect(second.result).toMatchObject({ ok: true, exitCode: 17 });
    expect(second.result.summary).toContain("alert rules NOT synced (retry: evalap-infra alerts sync sandbox)");
    await rm(alerts("typo.yaml"));
  }, 900_000);
});
