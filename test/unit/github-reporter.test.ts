import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { argvWantsJson, reporterOf, withReporter } from "../../src/cli/command.js";
import { errorInfo } from "../../src/cli/run.js";
import { parseConfig } from "../../src/config/load.js";
import type { EvalapError } from "../../src/core/errors.js";
import type { EvalapEvent } from "../../src/events/types.js";
import { reportDiagnostics } from "../../src/operations/context.js";
import { GitHubReporter } from "../../src/report/github.js";
import { annotation, escapeData, escapeProperty, maskCommands, neutralize } from "../../src/report/github-commands.js";
import { Redactor, REDACTED } from "../../src/report/redact.js";
import { parseJsonLine, toDiagnostic } from "../../src/tofu/diagnostics.js";
import { TofuError } from "../../src/tofu/errors.js";
import type { CostEstimate } from "../../src/cost/estimate.js";
import { FIXTURES } from "../helpers/project.js";

const WORKSPACE = "/home/runner/work/evalap/evalap";

/** A GitHub reporter writing to arrays; the summary file is captured, not written. */
function github(redactor = new Redactor(), commandLine = "evalap-infra deploy sandbox") {
  const out: string[] = [];
  const err: string[] = [];
  const appended: Array<{ file: string; text: string }> = [];
  const reporter = new GitHubReporter(redactor, {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    summaryFile: "/tmp/step-summary.md",
    workspace: WORKSPACE,
    commandLine,
    appendFile: (file, text) => void appended.push({ file, text }),
  });
  const lines = () => err.join("").split("\n").filter(Boolean);
  return { reporter, out, err, lines, appended, summary: () => appended.map((a) => a.text).join("") };
}

/** A run recorded with --json on the sandbox (see test/fixtures/github-reporter/README.md): its events as the bus emitted them. */
function recorded(name: string): EvalapEvent[] {
  const text = readFileSync(path.join(FIXTURES, "github-reporter", name), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const { schemaVersion: _v, time: _t, ...event } = JSON.parse(line) as Record<string, unknown>;
      return event as unknown as EvalapEvent;
    });
}

function play(reporter: GitHubReporter, events: EvalapEvent[]): void {
  for (const e of events) reporter.handle(e);
  reporter.close();
}

describe("workflow command escaping (docs.github.com, workflow commands; @actions/core command.ts)", () => {
  it("escapes %, CR and LF in data, and also : and , in properties", () => {
    expect(escapeData("50% done\r\nnext: a, b")).toBe("50%25 done%0D%0Anext: a, b");
    expect(escapeProperty("50% done\r\nnext: a, b")).toBe("50%25 done%0D%0Anext%3A a%2C b");
  });

  it("writes the properties given, in order, escaped, and no line or col without a file", () => {
    expect(annotation("error", "bad\nvalue", { file: "infra/a,b.tf", line: 3, col: 7, title: "x: y" })).toBe(
      "::error file=infra/a%2Cb.tf,line=3,col=7,title=x%3A y::bad%0Avalue",
    );
    expect(annotation("warning", "w", { line: 3, col: 7 })).toBe("::warning::w");
  });

  it("a plain line cannot be read as a workflow command", () => {
    expect(neutralize("  ::add-mask::x\nok ##[error]y")).toBe("  \u200b::add-mask::x\nok ##\u200b[error]y");
  });

  it("masks a multi-line value line by line, leaving short lines out", () => {
    expect(maskCommands("line-one-secret\n{\n  line%two-secret  ", 6)).toEqual([
      "::add-mask::line-one-secret",
      "::add-mask::line%25two-secret",
    ]);
  });
});

describe("annotations", () => {
  it("a config error points at evalap-infra.json, on the line of the first problem", () => {
    const file = path.join(WORKSPACE, "evalap-infra.json");
    const text = JSON.stringify({ environments: { staging: { root: "infra/staging", protection: "protectd" } } }, null, 2);
    let error: EvalapError | undefined;
    try {
      parseConfig(text, file);
    } catch (e) {
      error = e as EvalapError;
    }
    expect(error?.location).toEqual({ file, line: 5, column: 7 });
    const { reporter, lines } = github();
    play(reporter, [
      { type: "run.started", command: "config check", version: "0.1.0" },
      { type: "result", command: "config check", ok: false, exitCode: 3, durationMs: 12, error: errorInfo(error as EvalapError) },
    ]);
    expect(lines()).toEqual([
      "::error file=evalap-infra.json,line=5,col=7,title=evalap-infra config check failed (exit 3)%3A config_invalid::" +
        `${WORKSPACE}/evalap-infra.json is invalid:%0A  - environments.staging.protection: Invalid option: expected one of "standard"|"protected", got "protectd"` +
        `%0Ahint: fix the field above; your editor completes the file when it names "$schema": "./evalap-infra.schema.json"`,
    ]);
  });

  it("a JSON syntax error points at its line and column", () => {
    const file = path.join(WORKSPACE, "evalap-infra.json");
    expect(() => parseConfig('{\n  "environments": {,\n}', file)).toThrow(
      expect.objectContaining({ location: { file, line: 2, column: 20 } }) as Error,
    );
  });

  it("a tofu diagnostic points at its file (from where tofu ran), line and column, titled with its address", () => {
    // A diagnostic the real provider gave (test/fixtures/captured/README.md), as the apply failure carries it.
    const line = readFileSync(path.join(FIXTURES, "captured", "apply-scw-invalid-arguments.diagnostic.jsonl"), "utf8").split("\n")[0] ?? "";
    const raw = parseJsonLine(line)?.diagnostic;
    expect(raw).toBeDefined();
    const failure = new TofuError("apply", 1, [toDiagnostic(raw ?? {})], "", { cwd: path.join(WORKSPACE, "infra", "staging") });
    const events: EvalapEvent[] = [];
    reportDiagnostics({ events: { emit: (e) => void events.push(e) } }, failure);
    expect(events[0]).toMatchObject({ file: path.join(WORKSPACE, "infra", "staging", "main.tf"), line: 7, column: 1 });
    const { reporter, lines } = github();
    for (const e of events) reporter.handle(e);
    expect(lines()).toEqual([
      "::error file=infra/staging/main.tf,line=7,col=1,title=scaleway_secret_version.main::" +
        "scaleway-sdk-go: invalid argument(s): data is wrongly formatted, - invalid: Invalid type. Expected: string, given: object%0A",
    ]);
  });

  it("a file outside the workspace keeps its absolute path", () => {
    const { reporter, lines } = github();
    reporter.handle({ type: "diagnostic", severity: "warning", summary: "w", file: "/etc/x.tf", line: 2 });
    expect(lines()).toEqual(["::warning file=/etc/x.tf,line=2::w"]);
  });

  it("a failed health gate: an error per unhealthy service, a warning for the rollback, the result's error with its hint", () => {
    const { reporter, lines } = github();
    play(reporter, recorded("deploy-rolled-back.ndjson"));
    // The provider's warning, repeated by tofu in both plans, is annotated once.
    expect(lines().filter((l) => l.includes("Multiple variable sources"))).toEqual([
      expect.stringMatching(/^::warning::Multiple variable sources/),
    ]);
    const annotations = lines().filter((l) => /^::(error|warning)/.test(l) && !l.includes("Multiple variable sources"));
    expect(annotations).toEqual([
      "::error title=health gate%3A evalap::evalap is unhealthy: 3 consecutive definite failures (answered 500) after the 3s start-up grace, in 5 attempts (http://127.0.0.1:37961/openapi.json)",
      "::error title=health gate%3A evalap-ui::evalap-ui is unhealthy: not checked to the end: evalap failed definitively (0 of 3 good answers in 4 attempts) (http://127.0.0.1:40485/_stcore/health)",
      "::warning::health check failed: evalap (answered 500), evalap-ui (not checked to the end: evalap failed): rolling back sandbox to release 00000001",
      "::error title=evalap-infra deploy failed (exit 7)%3A rolled_back::sandbox: health check failed: evalap (answered 500), evalap-ui (not checked to the end: evalap failed); rolled back to release 00000001, which is healthy again" +
        "%0Ahint: the failed release is marked rolled_back in `evalap-infra releases list`; fix it and deploy again",
    ]);
  });
});

describe("groups", () => {
  it("each step's lines are in a group of its own; groups never nest, even when steps do", () => {
    const { reporter, lines } = github();
    play(reporter, recorded("deploy-rolled-back.ndjson"));
    let open: string | null = null;
    let groups = 0;
    for (const line of lines()) {
      if (line.startsWith("::group::")) {
        expect(open, `a group opened inside "${open}": ${line}`).toBeNull();
        open = line;
        groups++;
      } else if (line === "::endgroup::") {
        expect(open).not.toBeNull();
        open = null;
      }
    }
    expect(open).toBeNull();
    expect(groups).toBe(recorded("deploy-rolled-back.ndjson").filter((e) => e.type === "step.started").length);
    // The plain lines of a step are inside its group.
    const text = lines().join("\n");
    expect(text).toContain("::group::apply\n… apply\n");
    expect(text).toMatch(/::group::health\n… health\n(.*\n)*?– health|::group::health\n… health\n(.*\n)*?✔ health/);
  });
});

describe("secret masks", () => {
  it("masks each secret the moment it is known, before any line could hold it; no other line holds it", () => {
    const fromEnv = "env-secret-0123456789";
    const learnt = "learnt-secret-abcdef";
    const multi = "first-line-secret\nsecond-line-secret";
    const redactor = new Redactor();
    redactor.addFromEnvironment({ SCW_SECRET_KEY: fromEnv });
    const { reporter, err, out, summary } = github(redactor, `evalap-infra deploy sandbox --var password=${fromEnv}`);
    reporter.handle({ type: "run.started", command: "deploy", environment: "sandbox", version: "0.1.0" });
    reporter.handle({ type: "step.started", step: "apply", detail: `with ${fromEnv}` });
    // A sensitive output read mid-run: registered, then printed by accident in every way a reporter renders text.
    const before = err.length;
    redactor.add({ token: learnt, keys: multi });
    // Masked at once, before the next event is even handled.
    expect(err.slice(before).join("")).toBe([learnt, "first-line-secret", "second-line-secret"].map((s) => `::add-mask::${s}\n`).join(""));
    reporter.handle({ type: "log", level: "info", message: `token=${learnt}` });
    reporter.handle({ type: "log", level: "warn", message: `warn ${learnt}` });
    reporter.handle({
      type: "diagnostic",
      severity: "error",
      summary: `bad ${multi}`,
      detail: learnt,
      address: `x.${learnt}`,
      file: `/w/${learnt}.tf`,
    });
    reporter.handle({ type: "step.finished", step: "apply", outcome: "failed", durationMs: 5, detail: learnt });
    reporter.handle({
      type: "health.service",
      service: "evalap",
      url: `http://h/${learnt}`,
      healthy: false,
      attempts: 1,
      durationMs: 1,
      reason: learnt,
    });
    reporter.handle({ type: "release.recorded", environment: "sandbox", releaseId: "00000009", status: "failed", kind: "deploy" });
    reporter.handle({
      type: "result",
      command: "deploy",
      ok: false,
      exitCode: 1,
      durationMs: 9,
      error: { code: "x", message: `failed with ${learnt}`, hint: fromEnv },
    });
    reporter.close();

    const written = [...err.join("").split("\n"), ...out.join("").split("\n")];
    for (const secret of [fromEnv, learnt, "first-line-secret", "second-line-secret"]) {
      const holding = written.filter((l) => l.includes(secret));
      expect(holding, secret).toEqual([`::add-mask::${secret}`]);
    }
    // The environment's secret, known before the reporter existed, is masked before its first line.
    expect(err[0]).toBe(`::add-mask::${fromEnv}\n`);
    expect(summary()).not.toMatch(/secret/);
    expect(summary()).toContain(REDACTED);
  });
});

describe("step summary", () => {
  it("a healthy deploy: command, environment, release, plan per resource type, health per service, steps, outcome", () => {
    const { reporter, appended, summary } = github();
    play(reporter, recorded("deploy-healthy.ndjson"));
    expect(appended.map((a) => a.file)).toEqual(["/tmp/step-summary.md"]);
    const md = summary();
    expect(md.split("\n").slice(0, 11)).toEqual([
      "### ✅ evalap-infra deploy sandbox: succeeded",
      "",
      "| | |",
      "| --- | --- |",
      "| command | `evalap-infra deploy sandbox` |",
      "| environment | `sandbox` |",
      "| version | 0.1.0 |",
      "| release | `00000001` deploy: healthy |",
      "| outcome | exit 0 in 2m2s |",
      "",
      "deployed sandbox (release 00000001): 22 to create, 0 to update, 0 to replace, 0 to delete, healthy; alert rules evalap-sandbox: 3 created",
    ]);
    expect(md).toContain(
      [
        "#### Plan",
        "",
        "sandbox (release `00000001`, deploy): 22 to create, 0 to update, 0 to replace, 0 to delete",
        "",
        "| resource type | create | update | replace | delete |",
        "| --- | ---: | ---: | ---: | ---: |",
      ].join("\n"),
    );
    expect(md).toContain("| `scaleway_container` | 2 | 0 | 0 | 0 |");
    expect(md).toContain("| **total** | 22 | 0 | 0 | 0 |");
    expect(md).toContain(
      [
        "#### Health",
        "",
        "| release | service | verdict | last status | last latency | checks |",
        "| --- | --- | --- | ---: | ---: | ---: |",
        "| `00000001`, deploy | evalap | ✅ healthy | 200 | 35ms | 3 |",
        "| `00000001`, deploy | evalap-ui | ✅ healthy | 200 | 37ms | 3 |",
      ].join("\n"),
    );
    expect(md).not.toContain("#### Rollback");
    expect(md).toContain("| apply | ok | 1m20s |");
    // Each resource type's row adds up to the plan's counts.
    const rows = md.split("\n").filter((l) => /^\| `[a-z_]+` \| \d/.test(l));
    const creates = rows.map((r) => Number(r.split("|")[2])).reduce((a, b) => a + b, 0);
    expect(creates).toBe(22);
  });

  it("a rolled back deploy: both releases, the failed gate and the healthy one, the rollback, exit 7 with the error", () => {
    const { reporter, summary } = github();
    play(reporter, recorded("deploy-rolled-back.ndjson"));
    const md = summary();
    expect(md.split("\n").slice(0, 9)).toEqual([
      "### ❌ evalap-infra deploy sandbox: failed (exit 7)",
      "",
      "| | |",
      "| --- | --- |",
      "| command | `evalap-infra deploy sandbox` |",
      "| environment | `sandbox` |",
      "| version | 0.1.0 |",
      "| releases | `00000002` deploy: failed<br>`00000003` rollback: healthy |",
      "| outcome | exit 7 (`rolled_back`) in 2m48s |",
    ]);
    expect(md).toContain(
      "sandbox: health check failed: evalap (answered 500), evalap-ui (not checked to the end: evalap failed); rolled back to release 00000001, which is healthy again",
    );
    expect(md).toContain("> hint: the failed release is marked rolled_back in `evalap-infra releases list`");
    expect(md).toContain(
      [
        "| `00000002`, deploy | evalap | ❌ unhealthy: 3 consecutive definite failures (answered 500) after the 3s start-up grace, in 5 attempts | 500 | 9ms | 5 |",
        "| `00000002`, deploy | evalap-ui | ❌ unhealthy: not checked to the end: evalap failed definitively (0 of 3 good answers in 4 attempts) | 500 | 9ms | 4 |",
        "| `00000003`, rollback | evalap-ui | ✅ healthy | 200 | 10ms | 3 |",
        "| `00000003`, rollback | evalap | ✅ healthy | 200 | 10ms | 3 |",
      ].join("\n"),
    );
    expect(md).toContain("#### Rollback\n\nrelease `00000002` (failed) was rolled back by rollback release `00000003`: healthy\n");
    expect(md).toContain("sandbox (release `00000003`, rollback): 0 to create, 2 to update, 0 to replace, 0 to delete");
  });

  it("a plan's cost estimate: the changed resources before and after, the totals, what is not priced", () => {
    const { reporter, summary } = github(new Redactor(), "evalap-infra plan production");
    reporter.handle({ type: "run.started", command: "plan", environment: "production", version: "0.1.0" });
    const api = "module.platform.module.api.scaleway_container.main";
    const cost: CostEstimate = {
      currency: "EUR",
      vat: "excluded",
      hoursPerMonth: 730,
      before: { min: 208.14, max: 208.14 },
      after: { min: 277.52, max: 277.52 },
      delta: { min: 69.38, max: 69.38 },
      resources: [
        {
          address: api,
          type: "scaleway_container",
          action: "update",
          pricedOn: "min_scale 3 (max 3)",
          before: { min: 138.76, max: 138.76 },
          after: { min: 208.14, max: 208.14 },
        },
        {
          address: "module.platform.module.ui.scaleway_container.main",
          type: "scaleway_container",
          action: "noop",
          pricedOn: "min_scale 1 (max 1)",
          before: { min: 69.38, max: 69.38 },
          after: { min: 69.38, max: 69.38 },
        },
      ],
      free: [],
      notPriced: [
        {
          address: "module.platform.module.database.scaleway_rdb_instance.main",
          type: "scaleway_rdb_instance",
          action: "noop",
          reason: "no price",
        },
      ],
      complete: false,
      assumptions: [],
    };
    reporter.handle({ type: "cost.estimate", environment: "production", cost });
    reporter.close();
    const md = summary();
    expect(md).toContain(
      "#### Estimated monthly cost\n\nproduction: estimated €277.52/month, +€69.38/month for this change (1 resource(s) not priced)\n",
    );
    expect(md).toContain(`| \`${api}\` | min_scale 3 (max 3) | €138.76 | €208.14 |`);
    // Only what the change moves is in the table.
    expect(md).not.toContain("module.ui.scaleway_container.main");
    expect(md).toContain(
      "total €208.14 → €277.52 (+€69.38) per month, EUR excluding VAT; not priced: `module.platform.module.database.scaleway_rdb_instance.main`",
    );
  });

  it("is appended once, at close, and table cells cannot break the table", () => {
    const { reporter, appended, summary } = github(new Redactor(), "evalap-infra plan staging --var 'x=a|b'");
    reporter.handle({ type: "run.started", command: "plan", environment: "staging", version: "0.1.0" });
    reporter.handle({ type: "step.finished", step: "plan", outcome: "ok", durationMs: 10, detail: "a | b <script>\nc" });
    expect(appended).toEqual([]);
    reporter.close();
    reporter.close();
    expect(appended).toHaveLength(1);
    expect(summary()).toContain("| command | `evalap-infra plan staging --var 'x=a\\|b'` |");
    expect(summary()).toContain("| plan | ok | 10ms | a \\| b &lt;script&gt; c |");
  });
});

describe("choosing the reporter", () => {
  it("--reporter wins; --json is --reporter json; GITHUB_ACTIONS=true means github; else human", () => {
    expect(reporterOf({}, { GITHUB_ACTIONS: "true" })).toBe("github");
    expect(reporterOf({ json: true }, { GITHUB_ACTIONS: "true" })).toBe("json");
    expect(reporterOf({ reporter: "human" }, { GITHUB_ACTIONS: "true" })).toBe("human");
    expect(reporterOf({}, {})).toBe("human");
    expect(reporterOf({ reporter: "github" }, {})).toBe("github");
    expect(withReporter({ reporter: "json" })).toEqual({ reporter: "json", json: true });
    expect(withReporter({ reporter: "github", json: true })).toEqual({
      conflict: "--json and --reporter github contradict each other: keep one",
    });
    expect(argvWantsJson(["node", "cli", "plan", "--reporter", "json"])).toBe(true);
    expect(argvWantsJson(["node", "cli", "plan", "--reporter=json"])).toBe(true);
    expect(argvWantsJson(["node", "cli", "plan", "--reporter", "github"])).toBe(false);
  });
});
