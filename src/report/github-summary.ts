import type { CostEstimate } from "../cost/estimate.js";
import { formatCostLine, formatDelta, formatMonthly } from "../cost/format.js";
import type { EvalapEvent } from "../events/types.js";
import type { PlanSummary } from "../tofu/plan-summary.js";
import { formatDuration, formatPlanCounts } from "./format.js";
import type { Redactor } from "./redact.js";

/**
 * The Markdown a run appends to `$GITHUB_STEP_SUMMARY`: what ran, the plan, the releases, health
 * per service, the rollback, step durations and the outcome. Built from the events alone, so it
 * says what the other reporters say; every piece of text passes the redactor.
 */
export class RunSummary {
  private run: { command: string; environment?: string; version: string } | null = null;
  /** Releases in the order the run recorded them, with their last known status. */
  private readonly releases = new Map<string, { kind: string; status: string }>();
  private current: string | null = null;
  private readonly plans: Array<{ release: string | null; environment: string; summary: PlanSummary }> = [];
  /** Health per release and service: the verdict and the last check. */
  private readonly health = new Map<string, ServiceHealth>();
  private readonly costs: Array<{ environment: string; cost: CostEstimate }> = [];
  private readonly steps: Array<{ step: string; outcome: string; durationMs: number; detail?: string }> = [];
  private result: Extract<EvalapEvent, { type: "result" }> | null = null;

  constructor(
    private readonly redactor: Redactor,
    /** The command line as typed (redacted here: a --var may hold a secret). */
    private readonly commandLine: string,
  ) {}

  observe(event: EvalapEvent): void {
    switch (event.type) {
      case "run.started":
        this.run = { command: event.command, version: event.version, ...(event.environment ? { environment: event.environment } : {}) };
        return;
      case "release.recorded":
        this.releases.set(event.releaseId, { kind: event.kind, status: event.status });
        this.current = event.releaseId;
        return;
      case "plan.summary":
        this.plans.push({ release: this.current, environment: event.environment, summary: event.summary });
        return;
      case "cost.estimate":
        this.costs.push({ environment: event.environment, cost: event.cost });
        return;
      case "health.check": {
        const h = this.serviceHealth(event.service);
        h.attempts = event.attempt;
        h.status = event.status;
        h.latencyMs = event.latencyMs;
        return;
      }
      case "health.service": {
        const h = this.serviceHealth(event.service);
        h.healthy = event.healthy;
        h.attempts = event.attempts;
        h.reason = event.reason;
        return;
      }
      case "step.finished":
        this.steps.push({
          step: event.step,
          outcome: event.outcome,
          durationMs: event.durationMs,
          ...(event.detail ? { detail: event.detail } : {}),
        });
        return;
      case "result":
        this.result = event;
        return;
      default:
        return;
    }
  }

  markdown(): string {
    const out: string[] = [];
    const r = this.result;
    const command = r?.command ?? this.run?.command ?? "evalap-infra";
    const env = this.run?.environment;
    const headline = r === null ? "did not finish" : r.ok ? "succeeded" : `failed (exit ${r.exitCode})`;
    out.push(`### ${r?.ok === true ? "✅" : "❌"} evalap-infra ${this.text(command)}${env ? ` ${this.text(env)}` : ""}: ${headline}`, "");
    out.push("| | |", "| --- | --- |");
    out.push(`| command | ${this.code(this.commandLine)} |`);
    if (env) out.push(`| environment | ${this.code(env)} |`);
    if (this.run) out.push(`| version | ${this.text(this.run.version)} |`);
    if (this.releases.size > 0) {
      const list = [...this.releases].map(([id, rel]) => `${this.code(id)} ${this.text(rel.kind)}: ${this.text(rel.status)}`);
      out.push(`| release${this.releases.size > 1 ? "s" : ""} | ${list.join("<br>")} |`);
    }
    if (r !== null) {
      const code = r.error ? ` (${this.code(r.error.code)})` : "";
      out.push(`| outcome | exit ${r.exitCode}${code} in ${formatDuration(r.durationMs)} |`);
    }
    out.push("");
    if (r?.summary) out.push(this.text(r.summary), "");
    if (r?.error) {
      out.push(this.text(r.error.message).split("\n").join("<br>"), "");
      if (r.error.hint) out.push(`> hint: ${this.text(r.error.hint)}`, "");
    }
    this.planSection(out);
    this.costSection(out);
    this.healthSection(out);
    this.rollbackSection(out);
    this.stepsSection(out);
    return this.redactor.redact(out.join("\n")) + "\n";
  }

  private planSection(out: string[]): void {
    if (this.plans.length === 0) return;
    out.push("#### Plan", "");
    for (const plan of this.plans) {
      const rel = plan.release === null ? "" : ` (release ${this.code(plan.release)}${this.kindOf(plan.release)})`;
      out.push(`${this.text(plan.environment)}${rel}: ${formatPlanCounts(plan.summary)}`, "");
      const byType = new Map<string, Record<Counted, number>>();
      for (const change of plan.summary.changes) {
        if (!isCounted(change.action)) continue;
        const kind = change.type || change.address.replace(/\[.*$/, "").split(".").at(-2) || change.address;
        const row = byType.get(kind) ?? { create: 0, update: 0, replace: 0, delete: 0 };
        row[change.action] += 1;
        byType.set(kind, row);
      }
      if (byType.size === 0) continue;
      out.push("| resource type | create | update | replace | delete |", "| --- | ---: | ---: | ---: | ---: |");
      for (const [kind, c] of [...byType].sort((a, b) => a[0].localeCompare(b[0])))
        out.push(`| ${this.code(kind)} | ${c.create} | ${c.update} | ${c.replace} | ${c.delete} |`);
      const t = plan.summary.counts;
      out.push(`| **total** | ${t.create} | ${t.update} | ${t.replace} | ${t.delete} |`, "");
    }
  }

  /** The plan's cost estimate (plan, cost): the pull request's reviewers see what a change costs. */
  private costSection(out: string[]): void {
    if (this.costs.length === 0) return;
    out.push("#### Estimated monthly cost", "");
    for (const { environment, cost } of this.costs) {
      out.push(`${this.text(environment)}: ${this.text(formatCostLine(cost))}`, "");
      const changed = cost.resources.filter((r) => r.before?.min !== r.after?.min || r.before?.max !== r.after?.max);
      if (changed.length > 0) {
        out.push("| resource | priced on | before | after |", "| --- | --- | ---: | ---: |");
        for (const r of changed) {
          const money = (m: typeof r.before) => (m === null ? "–" : formatMonthly(m));
          out.push(`| ${this.code(r.address)} | ${this.text(r.pricedOn)} | ${money(r.before)} | ${money(r.after)} |`);
        }
        out.push("");
      }
      out.push(
        `total ${formatMonthly(cost.before)} → ${formatMonthly(cost.after)} (${formatDelta(cost.delta)}) per month, EUR excluding VAT` +
          (cost.complete ? "" : `; not priced: ${cost.notPriced.map((n) => this.code(n.address)).join(", ")}`),
        "",
      );
    }
  }

  private healthSection(out: string[]): void {
    if (this.health.size === 0) return;
    out.push("#### Health", "");
    out.push("| release | service | verdict | last status | last latency | checks |", "| --- | --- | --- | ---: | ---: | ---: |");
    for (const h of this.health.values()) {
      const rel = h.release === null ? "" : `${this.code(h.release)}${this.kindOf(h.release)}`;
      const verdict =
        h.healthy === undefined ? "not decided" : h.healthy ? "✅ healthy" : `❌ unhealthy${h.reason ? `: ${this.text(h.reason)}` : ""}`;
      const status = h.status === undefined ? "–" : String(h.status);
      const latency = h.latencyMs === undefined ? "–" : formatDuration(h.latencyMs);
      out.push(`| ${rel} | ${this.text(h.service)} | ${verdict} | ${status} | ${latency} | ${h.attempts} |`);
    }
    out.push("");
  }

  private rollbackSection(out: string[]): void {
    const rollbacks = [...this.releases].filter(([, rel]) => rel.kind === "rollback");
    if (rollbacks.length === 0) return;
    out.push("#### Rollback", "");
    const failed = [...this.releases].filter(([, rel]) => rel.kind !== "rollback" && rel.status !== "healthy");
    for (const [id, rel] of rollbacks) {
      const from =
        failed.length > 0
          ? `release ${failed.map(([f, fr]) => `${this.code(f)} (${this.text(fr.status)})`).join(", ")} was rolled back by `
          : "";
      out.push(`${from}rollback release ${this.code(id)}: ${this.text(rel.status)}`);
    }
    out.push("");
  }

  private stepsSection(out: string[]): void {
    if (this.steps.length === 0) return;
    out.push("#### Steps", "", "| step | outcome | duration | detail |", "| --- | --- | ---: | --- |");
    for (const s of this.steps)
      out.push(`| ${this.text(s.step)} | ${s.outcome} | ${formatDuration(s.durationMs)} | ${s.detail ? this.text(s.detail) : ""} |`);
    out.push("");
  }

  private serviceHealth(service: string): ServiceHealth {
    const key = `${this.current ?? ""}\u0000${service}`;
    let h = this.health.get(key);
    if (h === undefined) {
      h = { release: this.current, service, attempts: 0 };
      this.health.set(key, h);
    }
    return h;
  }

  private kindOf(release: string): string {
    const kind = this.releases.get(release)?.kind;
    return kind ? `, ${this.text(kind)}` : "";
  }

  /** Table-safe text: redacted first (escaping could hide a secret from the redactor), then escaped. */
  private text(s: string): string {
    return this.redactor
      .redact(s)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/\|/g, "\\|")
      .replace(/\r?\n/g, " ");
  }

  /** An inline code span; backticks inside become quotes (a span cannot hold its own delimiter simply). */
  private code(s: string): string {
    return `\`${this.redactor.redact(s).replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\r?\n/g, " ")}\``;
  }
}

interface ServiceHealth {
  release: string | null;
  service: string;
  attempts: number;
  healthy?: boolean;
  reason?: string | undefined;
  status?: number | undefined;
  latencyMs?: number;
}

type Counted = "create" | "update" | "replace" | "delete";
function isCounted(action: string): action is Counted {
  return action === "create" || action === "update" || action === "replace" || action === "delete";
}
