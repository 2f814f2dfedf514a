import { cp } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRECONFIGURED_RULES } from "../../src/sandbox/apis/cockpit/catalogue.js";
import { FIXTURES, REPO } from "../helpers/project.js";
import { PROJECT, providerHarness } from "./provider-harness.js";

const REGIONAL = "/cockpit/v1/regions/fr-par";

/**
 * The real gate for Cockpit: OpenTofu and the real Scaleway provider 2.81.0 apply
 * infra/modules/cockpit-monitoring itself (through test/fixtures/sandbox-cockpit) on the sandbox,
 * find no drift (even after a restart), refuse a product the catalogue does not list, change the contact
 * emails, then destroy leaves no contact point, the rules disabled and the alert manager disabled.
 */
describe("the real provider on the sandbox: infra/modules/cockpit-monitoring", () => {
  // Preconfigured rules go `enabling` → `enabled` after this: the provider's waiter really waits.
  const h = providerHarness({ prefix: "evalap-sandbox-cockpit-", readyDelayMs: 1500 });
  const root = h.root();
  const { tofu, outputs, noDrift } = root;
  const counts = () => h.counts();

  beforeAll(async () => {
    await h.start();
    // The fixture root calls the module at ../modules/cockpit-monitoring: the module as infra/ has it.
    await cp(path.join(FIXTURES, "sandbox-cockpit"), root.dir, { recursive: true });
    await cp(path.join(REPO, "infra", "modules", "cockpit-monitoring"), path.join(h.work, "modules", "cockpit-monitoring"), {
      recursive: true,
    });
  });

  afterAll(() => h.cleanup());

  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const res = await h.fetch(pathAndQuery);
    expect(res.status, `GET ${pathAndQuery}`).toBe(200);
    return (await res.json()) as T;
  };
  const contactEmails = async () =>
    (
      await api<{ contact_points: { email: { to: string } }[] }>(`${REGIONAL}/alert-manager/contact-points?project_id=${PROJECT}`)
    ).contact_points.map((c) => c.email.to);
  const alertManager = () =>
    api<{ alert_manager_enabled: boolean; alert_manager_url: string | null }>(`${REGIONAL}/alert-manager?project_id=${PROJECT}`);
  const ruleStatuses = async () =>
    Object.fromEntries(
      (
        await api<{ alerts: { rule_status: string; preconfigured_data: { preconfigured_rule_id: string } }[] }>(
          `${REGIONAL}/alerts?is_preconfigured=true&project_id=${PROJECT}`,
        )
      ).alerts.map((a) => [a.preconfigured_data.preconfigured_rule_id, a.rule_status]),
    );

  it("applies the module, survives a restart without drift, changes the contacts, and destroys to nothing", async () => {
    const init = await tofu("init", "-input=false");
    expect(init.exitCode, init.output).toBe(0);

    const apply = await tofu("apply", "-auto-approve", "-input=false");
    expect(apply.exitCode, apply.output).toBe(0);
    const out = await outputs();

    // evalap-platform's filter, ["PostgreSQL"], compared exactly with the product names the recorded
    // catalogue holds: the three PostgreSQL rules, nothing of MySQL or Serverless SQL ("SQL Databases").
    const postgres = PRECONFIGURED_RULES.filter((r) => r.product_name === "PostgreSQL").map((r) => r.rule_id);
    expect(postgres).toHaveLength(3);
    expect([...(out.enabled_preconfigured_alerts as string[])].sort()).toEqual([...postgres].sort());
    expect(out.catalogue).toHaveLength(PRECONFIGURED_RULES.length);
    expect(out).toMatchObject({ grafana_url: `https://${PROJECT}.dashboard.cockpit.scaleway.com` });
    expect(out.alert_manager_url).toMatch(/^https:\/\/[0-9a-f-]{36}\.alertmanager\.cockpit\.fr-par\.scw\.cloud$/);
    // Nothing pushes metrics or logs: no custom data source, no token (issue 10, item 8).
    expect((await counts())["cockpit.data_sources"] ?? 0).toBe(0);
    expect((await counts())["cockpit.tokens"] ?? 0).toBe(0);
    expect(await contactEmails()).toEqual(["oncall@evalap.beta.gouv.fr", "ops@evalap.beta.gouv.fr"]);
    // The provider waited for them: enabled, not enabling.
    const statuses = await ruleStatuses();
    for (const id of postgres) expect(statuses[id]).toBe("enabled");
    expect(Object.values(statuses).filter((s) => s !== "disabled")).toHaveLength(3);
    await noDrift();

    // The state is on disk: a new sandbox on the same folder answers the same.
    await h.restart();
    await noDrift();

    // The old filter's words are not product names: the plan stops, naming what the catalogue lists,
    // instead of enabling nothing for them.
    const typo = await tofu("plan", "-input=false", "-var", 'preconfigured_alert_products=["container","postgres","rdb"]');
    expect(typo.exitCode, typo.output).toBe(1);
    // tofu wraps diagnostics in a box: read them as one line.
    const said = typo.output.replace(/[│╷╵]/g, " ").replace(/\s+/g, " ");
    expect(said).toContain("does not list: container, postgres, rdb");
    expect(said).toMatch(/It lists: .*PostgreSQL/);

    // New contact emails: the provider deletes the one gone and creates the new one.
    const emails = ["-var", 'contact_emails=["oncall@evalap.beta.gouv.fr","pager@evalap.beta.gouv.fr"]'];
    const change = await tofu("apply", "-auto-approve", "-input=false", ...emails);
    expect(change.exitCode, change.output).toBe(0);
    expect(await contactEmails()).toEqual(["oncall@evalap.beta.gouv.fr", "pager@evalap.beta.gouv.fr"]);
    await noDrift(...emails);

    const destroy = await tofu("destroy", "-auto-approve", "-input=false", ...emails);
    expect(destroy.exitCode, destroy.output).toBe(0);
    expect(await contactEmails()).toEqual([]);
    expect(await alertManager()).toMatchObject({ alert_manager_enabled: false, alert_manager_url: null });
    // Destroy asked to disable the rules it had enabled (they settle to `disabled` after the delay).
    const after = await ruleStatuses();
    for (const id of postgres) expect(["disabling", "disabled"]).toContain(after[id]);

    // Every call the provider made was one the sandbox serves, and none failed on its side.
    h.expectAllServed();
  });
});
