import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRECONFIGURED_RULES } from "../../src/sandbox/apis/cockpit/catalogue.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { servedPathsOf } from "./cassettes.js";
import { compareShape, type JsonValue } from "./fidelity-compare.js";
import { FIDELITY_TOKEN as TOKEN, replayOnSandbox } from "./fidelity-run.js";

/**
 * The Cockpit v1 emulator against Scaleway's recorded real traffic: every cockpit cassette the
 * sandbox can serve is replayed (they create their project through account v3 first), and each
 * answer must have the recorded status, field names and value types.
 */
/** The recordings' organization, which is also its default project (as in every Scaleway account). */
const RECORDED_ORG = "105bdce1-64c0-48ab-899d-868455867ecf";
/** The sandbox's: one UUID for both, like the recordings' account. */
const ORG = "4e1c2b9a-7d3f-4a51-8b6e-0c9d8e7f6a52";

/**
 * After a cassette deleted its project, the provider's destroy check reads the alert manager again:
 * four recordings got 200 (alert manager disabled; the sandbox answers so), these two got 403
 * permissions_denied. Project deletion reaches Cockpit asynchronously; both answers are real.
 */
const DELETED_PROJECT_READS = [
  ["cockpit/cockpit-alert-manager-id-handling", 28],
  ["cockpit/cockpit-alert-manager-with-preconfigured-alerts", 19],
].map(([cassette, interaction]) => ({
  cassette: String(cassette),
  interaction: Number(interaction),
  reason: "Scaleway answered 200 to the same read after a project deletion in 4 other recordings",
}));

describe("sandbox fidelity: the provider's recorded Cockpit traffic", () => {
  it("answers every replayed request of the cockpit cassettes with the recorded shape", async () => {
    await replayOnSandbox({
      name: "evalap-fidelity-cockpit-",
      sandbox: { account: { organizationId: ORG, defaultProjectId: ORG } },
      prepare: async (sandbox) => {
        // The recording account had Cockpit's alert manager enabled on its default project before the
        // recordings (cockpit-simple reads it): the same precondition here.
        const enable = await fetch(`${sandbox.url}/cockpit/v1/regions/fr-par/alert-manager/enable`, {
          method: "POST",
          headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
          body: JSON.stringify({ project_id: ORG }),
        });
        if (enable.status !== 200) throw new Error(`enabling the default project's alert manager answered ${enable.status}`);
        return undefined;
      },
      services: ["cockpit"],
      // The cassettes create their project through account v3 before using Cockpit.
      servedPaths: servedPathsOf("cockpit", "account"),
      foreignIds: { [RECORDED_ORG]: ORG },
      // A preconfigured alert's annotations are a map[string]string whose keys differ from rule to rule.
      freeFormMaps: ["annotations"],
      tolerated: DELETED_PROJECT_READS,
    });
  }, 300_000);
});

describe("sandbox Cockpit: behaviour the recordings show only in part", () => {
  const PROJECT = ORG;
  let dataDir: string;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  const call = async (method: string, p: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${sandbox.url}${p}`, {
      method,
      headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
  const R = "/cockpit/v1/regions/fr-par";
  type Alert = { rule_status: string; state: string; data_source_id: string; preconfigured_data: { preconfigured_rule_id: string } };
  const alert = async (ruleId: string): Promise<Alert> => {
    const list = await call("GET", `${R}/alerts?is_preconfigured=true&project_id=${PROJECT}`);
    const found = (list.json.alerts as Alert[]).find((a) => a.preconfigured_data.preconfigured_rule_id === ruleId);
    if (!found) throw new Error(`rule ${ruleId} is not listed`);
    return found;
  };
  const until = async (ruleId: string, status: string): Promise<Alert> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const a = await alert(ruleId);
      if (a.rule_status === status || Date.now() > deadline) return a;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-cockpit-behaviour-"));
    sandbox = await startSandbox({ dataDir, token: TOKEN, readyDelayMs: 400, account: { organizationId: ORG, defaultProjectId: PROJECT } });
  });
  afterAll(async () => {
    await sandbox.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers 403 permissions_denied for a project the account does not have, as recorded", async () => {
    const other = "0d9c8b7a-6e5f-4a3b-8c2d-1e0f9a8b7c6d";
    const r = await call("GET", `${R}/alert-manager?project_id=${other}`);
    expect(r).toEqual({
      status: 403,
      json: { details: [{ action: "read", resource: "cockpit" }], message: "insufficient permissions", type: "permissions_denied" },
    });
    expect((await call("POST", `${R}/data-sources`, { project_id: other, name: "x", type: "logs" })).status).toBe(403);
  });

  it("shows a token's secret key once, at creation", async () => {
    const created = await call("POST", `${R}/tokens`, { project_id: PROJECT, name: "push", token_scopes: ["write_only_metrics"] });
    expect(created.status).toBe(200);
    const secret = created.json.secret_key as string;
    expect(secret).toMatch(/^[0-9a-f-]{36}$/);
    const read = await call("GET", `${R}/tokens/${String(created.json.id)}`);
    expect(read.json).toMatchObject({ id: created.json.id, scopes: ["write_only_metrics"] });
    expect(read.json.secret_key).not.toBe(secret);
    const listed = await call("GET", `${R}/tokens?project_id=${PROJECT}`);
    expect(JSON.stringify(listed.json)).not.toContain(secret);
    const state = await readFile(path.join(dataDir, "state.json"), "utf8");
    expect(state).not.toContain(secret);
    expect((await call("POST", `${R}/tokens`, { project_id: PROJECT, name: "bad", token_scopes: ["root"] })).json).toMatchObject({
      type: "invalid_arguments",
      details: [{ argument_name: "token_scopes" }],
    });
  });

  it("moves a preconfigured rule enabling → enabled and disabling → disabled, evaluated on the project's Scaleway metrics source", async () => {
    const rule = PRECONFIGURED_RULES.find((r) => r.product_name === "PostgreSQL")!.rule_id;
    expect(await alert(rule)).toMatchObject({ rule_status: "disabled", state: "unknown_state", data_source_id: "" });
    const enabled = await call("POST", `${R}/alert-manager/enable-alert-rules`, { project_id: PROJECT, rule_ids: [rule] });
    expect(enabled.json).toEqual({ enabled_rule_ids: [rule] });
    expect((await alert(rule)).rule_status).toBe("enabling");
    const on = await until(rule, "enabled");
    expect(on).toMatchObject({ rule_status: "enabled", state: "inactive" });
    const source = await call("GET", `${R}/data-sources/${on.data_source_id}`);
    expect(source.json).toMatchObject({ origin: "scaleway", type: "metrics", name: "Scaleway Metrics", project_id: PROJECT });
    // Scaleway's own sources are listed with the project's, and cannot be deleted.
    const scw = await call("GET", `${R}/data-sources?project_id=${PROJECT}&origin=scaleway`);
    expect(scw.json.total_count).toBe(2);
    expect((await call("DELETE", `${R}/data-sources/${on.data_source_id}`)).status).toBe(403);

    await call("POST", `${R}/alert-manager/disable-alert-rules`, { project_id: PROJECT, rule_ids: [rule] });
    expect((await alert(rule)).rule_status).toBe("disabling");
    expect(await until(rule, "disabled")).toMatchObject({ rule_status: "disabled", state: "unknown_state", data_source_id: "" });
    expect((await call("POST", `${R}/alert-manager/enable-alert-rules`, { project_id: PROJECT, rule_ids: ["nope"] })).status).toBe(404);
  });

  it("checks retention days against the region's bounds and keys contact points by email", async () => {
    const tooLong = await call("POST", `${R}/data-sources`, { project_id: PROJECT, name: "m", type: "metrics", retention_days: 5000 });
    expect(tooLong.json).toMatchObject({ type: "invalid_arguments", details: [{ argument_name: "retention_days" }] });
    const logs = await call("POST", `${R}/data-sources`, { project_id: PROJECT, name: "l", type: "logs" });
    expect(logs.json).toMatchObject({ retention_days: 7, origin: "custom", synchronized_with_grafana: false });

    const cp = { project_id: PROJECT, email: { to: "ops@example.org" } };
    expect((await call("POST", `${R}/alert-manager/contact-points`, cp)).json).toEqual({
      email: { to: "ops@example.org" },
      region: "fr-par",
      send_resolved_notifications: true,
    });
    expect((await call("POST", `${R}/alert-manager/contact-points`, cp)).status).toBe(409);
    expect((await call("POST", `${R}/alert-manager/contact-points/delete`, cp)).status).toBe(204);
    expect((await call("POST", `${R}/alert-manager/contact-points/delete`, cp)).status).toBe(404);
    expect((await call("POST", `${R}/alert-manager/contact-points`, { project_id: PROJECT, email: { to: "nope" } })).status).toBe(400);
  });
});

describe("compareShape with free-form maps", () => {
  it("compares a map's values by type, not its keys", () => {
    const recorded: JsonValue = { items: [{ annotations: { dashboard_path: "/d", summary: "s" } }] };
    const ours: JsonValue = { items: [{ annotations: { description: "x" } }, { annotations: { summary: 1 } }] };
    expect(compareShape(recorded, ours).mismatches.map((m) => m.path)).toEqual([
      "$.items[0].annotations.dashboard_path",
      "$.items[0].annotations.summary",
      "$.items[1].annotations.dashboard_path",
      "$.items[1].annotations.summary",
    ]);
    expect(compareShape(recorded, ours, { freeFormMaps: ["annotations"] }).mismatches).toEqual([
      { path: "$.items[1].annotations.summary", kind: "type", expected: "string", actual: "number" },
    ]);
  });
});
