import { execa } from "execa";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { metricNames, selectors } from "../../src/alerts/promql.js";
import { loadRuleGroups, ruleFiles } from "../../src/alerts/rules.js";
import { formatPromDuration, promDurationMs } from "../../src/core/prom-duration.js";
import { sameGroup } from "../../src/alerts/sync.js";
import { environmentProject } from "../../src/operations/alerts.js";
import { SCALEWAY_METRIC_NAMES, scalewayMetricLabels } from "../../src/sandbox/apis/cockpit/metrics.js";
import { CLI, parseEvents, REPO } from "../helpers/project.js";

const ALERTS = path.join(REPO, "infra", "alerts");

describe("the alert rule files of infra/alerts", () => {
  it("load for each root, every alert with a severity, a summary and a description", async () => {
    for (const root of ["staging", "production"]) {
      const groups = await loadRuleGroups(await ruleFiles(ALERTS, root), REPO);
      expect(groups.map((g) => g.group.name).sort()).toEqual(["evalap-api-scale", "evalap-containers", "evalap-database"]);
    }
  });

  it("use only metrics, and labels of them, that the sandbox's Scaleway Metrics source lists (so a sandbox deploy syncs them)", async () => {
    const used = new Set<string>();
    const missing: string[] = [];
    for (const root of ["staging", "production"]) {
      for (const g of await loadRuleGroups(await ruleFiles(ALERTS, root), REPO)) {
        for (const s of g.group.rules.flatMap((r) => selectors(r.expr))) {
          used.add(s.metric);
          if (!SCALEWAY_METRIC_NAMES.includes(s.metric)) missing.push(s.metric);
          for (const l of s.labels) if (!scalewayMetricLabels(s.metric).includes(l)) missing.push(`${s.metric}{${l}}`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(5);
  });

  it("keep the scale thresholds equal to each root's container settings in its terraform.tfvars", async () => {
    for (const root of ["staging", "production"]) {
      const tfvars = await readFile(path.join(REPO, "infra", root, "terraform.tfvars"), "utf8");
      const maxScale = Number(/max_scale\s*=\s*(\d+)/.exec(tfvars)?.[1]);
      const minScale = Number(/min_scale\s*=\s*(\d+)/.exec(tfvars)?.[1]);
      const file = parse(await readFile(path.join(ALERTS, root, "evalap-api.yaml"), "utf8")) as {
        groups: { rules: { alert: string; expr: string }[] }[];
      };
      const rules = file.groups.flatMap((g) => g.rules);
      if (minScale === maxScale) {
        // A fixed pool (production: scale-in would kill the runner's jobs) never "reaches" max_scale:
        // the alert is an instance missing from it.
        expect(rules.find((r) => r.alert === "EvalapApiPoolIncomplete")?.expr).toMatch(new RegExp(`< ${minScale}$`));
        expect(rules.some((r) => r.alert === "EvalapApiAtMaxScale")).toBe(false);
      } else {
        expect(rules.find((r) => r.alert === "EvalapApiAtMaxScale")?.expr).toMatch(new RegExp(`>= ${maxScale}$`));
      }
      // An alert on zero instances only where the root keeps instances running.
      expect(rules.some((r) => r.alert === "EvalapApiNoInstance")).toBe(minScale > 0);
    }
  });
});

describe("metric names of an expression", () => {
  it("skips functions, aggregations, label lists, matchers, ranges, offsets and strings", () => {
    expect(
      metricNames(
        'sum by (resource_name, region) (rate(a_total{status_code=~"5..", x="b_total"}[5m] offset 1h)) / on (instance) group_left (job) b_ratio > bool 0.5',
      ),
    ).toEqual(["a_total", "b_ratio"]);
    expect(metricNames('sum without (le) (c) and ignoring (x) {__name__="d"} or vector(0)')).toEqual(["c", "d"]);
    expect(metricNames("max(e) by (f) unless max_over_time(g[10m:1m]) == Inf")).toEqual(["e", "g"]);
    expect(metricNames("(sum(h{a='x'}) or vector(0)) < 1e3")).toEqual(["h"]);
  });

  it("gives the labels each selector's matchers test", () => {
    expect(selectors('sum by (r) (a{status_code=~"5..", r!="x"}) / on (r) b + {__name__="c", k="v"} + d{}')).toEqual([
      { metric: "a", labels: ["status_code", "r"] },
      { metric: "b", labels: [] },
      { metric: "c", labels: ["k"] },
      { metric: "d", labels: [] },
    ]);
  });
});

describe("durations and group equality", () => {
  it("reads Prometheus durations", () => {
    expect(promDurationMs("1h30m")).toBe(5_400_000);
    expect(promDurationMs("0")).toBe(0);
    expect(promDurationMs("500ms")).toBe(500);
    for (const bad of ["", "5", "5 m", "1m1h", "-1m"]) expect(promDurationMs(bad)).toBeNull();
    // As Prometheus prints them (the sandbox's ruler stores them so).
    expect(["0", "60s", "90m", "1h30m", "500ms"].map((d) => formatPromDuration(promDurationMs(d) ?? -1))).toEqual([
      "0s",
      "1m",
      "1h30m",
      "1h30m",
      "500ms",
    ]);
  });

  it("counts a group the ruler re-serialized (60s as 1m, fields of its own, label order) as unchanged, and a new threshold as a change", () => {
    const local = {
      name: "g",
      interval: "60s",
      rules: [{ alert: "A", expr: "x > 1", for: "300s", labels: { team: "t", severity: "warning" } }],
    };
    const stored = {
      name: "g",
      interval: "1m",
      query_offset: "0s",
      rules: [{ alert: "A", expr: "x > 1\n", for: "5m", labels: { severity: "warning", team: "t" } }],
    };
    expect(sameGroup(stored, local)).toBe(true);
    expect(
      sameGroup(stored, { ...local, rules: [{ alert: "A", expr: "x > 2", for: "300s", labels: { team: "t", severity: "warning" } }] }),
    ).toBe(false);
  });
});

describe("the environment's project", () => {
  it("is the root's project_id output once applied, else its project_id input, never a default project", () => {
    const own = "11111111-2222-4333-8444-555555555555";
    const input = "99999999-8888-4777-8666-555555555555";
    expect(environmentProject({ project_id: { value: own, sensitive: false } }, input)).toBe(own);
    expect(environmentProject({ services: { value: {}, sensitive: false } }, input)).toBe(input);
    expect(environmentProject({ project_id: { value: "", sensitive: false } }, undefined)).toBeUndefined();
    expect(environmentProject({}, 42)).toBeUndefined();
  });
});

describe("evalap-infra alerts check", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "evalap-alerts-"));
    await mkdir(path.join(dir, "infra", "staging"), { recursive: true });
    await mkdir(path.join(dir, "infra", "alerts", "staging"), { recursive: true });
    await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify({ environments: { staging: { root: "infra/staging" } } }));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = (file: string, text: string) => writeFile(path.join(dir, "infra", "alerts", file), text);
  const check = async () => {
    const r = await execa("node", [CLI, "alerts", "check", "--json"], { cwd: dir, reject: false, env: { NO_COLOR: "1" } });
    return { exitCode: r.exitCode, events: parseEvents(String(r.stdout)), output: `${String(r.stdout)}\n${String(r.stderr)}` };
  };
  const good = (name: string, expr = "up > 0") =>
    `groups:\n  - name: ${name}\n    interval: 1m\n    rules:\n      - alert: Down\n        expr: ${expr}\n        for: 5m\n        labels: {severity: critical}\n        annotations: {summary: s, description: d}\n`;

  it("passes on good files and lists their groups", async () => {
    await write("a.yaml", good("one"));
    await write("staging/b.yaml", good("two"));
    const r = await check();
    expect(r.exitCode, r.output).toBe(0);
    expect(r.events.find((e) => e.type === "data")?.data).toMatchObject({
      groups: [
        { file: "infra/alerts/a.yaml", group: "one", rules: 1 },
        { file: "infra/alerts/staging/b.yaml", group: "two", rules: 1 },
      ],
    });
  });

  it("fails on bad files, every problem naming its file and group", async () => {
    await write("a.yaml", good("one"));
    await write("broken.yaml", "groups:\n  - name: x\n    rules: [\n");
    await write(
      "bad.yaml",
      [
        "groups:",
        "  - name: bad",
        "    interval: soon",
        "    rules:",
        "      - alert: NoSeverity",
        "        expr: ' '",
        "        for: 5 minutes",
        "        labels: {env: staging}",
        "        annotations: {summary: s}",
        "        summry: typo",
        "",
      ].join("\n"),
    );
    await write("staging/dup.yaml", good("one"));
    const r = await check();
    expect(r.exitCode, r.output).toBe(1);
    const result = r.events.at(-1) as unknown as { error: { code: string; message: string } };
    expect(result.error.code).toBe("alert_rules_invalid");
    const problems = r.events.filter((e) => e.type === "diagnostic").map((e) => String(e.summary));
    const expected = [
      /^infra\/alerts\/broken\.yaml: not valid YAML/,
      /^infra\/alerts\/bad\.yaml: group "bad": interval "soon" is not a duration/,
      /^infra\/alerts\/bad\.yaml: group "bad": rule #1 \(alert "NoSeverity"\): "expr" is missing or empty/,
      /^infra\/alerts\/bad\.yaml: group "bad": rule #1 \(alert "NoSeverity"\): for "5 minutes" is not a duration/,
      /^infra\/alerts\/bad\.yaml: group "bad": rule #1 \(alert "NoSeverity"\): label "env" is not allowed/,
      /^infra\/alerts\/bad\.yaml: group "bad": rule #1 \(alert "NoSeverity"\): the "severity" label is required/,
      /^infra\/alerts\/bad\.yaml: group "bad": rule #1 \(alert "NoSeverity"\): the "description" annotation is required/,
      /^infra\/alerts\/bad\.yaml: group "bad": rule #1 \(alert "NoSeverity"\): unknown field "summry"/,
      /^infra\/alerts\/staging\/dup\.yaml: group "one": the name is already used in infra\/alerts\/a\.yaml/,
    ];
    for (const re of expected)
      expect(
        problems.some((p) => re.test(p)),
        `${re.source} in\n${problems.join("\n")}`,
      ).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });
});
