import type { TofuJsonMessage } from "./diagnostics.js";

export type ChangeAction = "create" | "update" | "delete" | "replace" | "read" | "noop" | "move" | "forget" | "import";

export interface PlannedChange {
  address: string;
  type: string;
  action: ChangeAction;
  reason?: string;
}

export interface PlanSummary {
  /** Every resource the plan touches, noop excluded. */
  changes: PlannedChange[];
  counts: { create: number; update: number; delete: number; replace: number };
  /** Output values that change (names). */
  outputChanges: string[];
  /** True when applying would change anything, outputs included (tofu -detailed-exitcode semantics). */
  hasChanges: boolean;
}

const ACTIONS: ReadonlySet<string> = new Set(["create", "update", "delete", "replace", "read", "noop", "move", "forget", "import"]);

/**
 * Summarises a plan from the `planned_change` and `outputs` messages of `tofu plan -json`.
 * This saves running `tofu show -json` (which loads every provider schema) on each deploy;
 * `summarizeShowJson` reads the same facts from `show -json` and the tests check both agree.
 */
export function summarizePlanStream(messages: TofuJsonMessage[], exitCode?: number): PlanSummary {
  const byAddress = new Map<string, PlannedChange>();
  const outputChanges: string[] = [];
  for (const m of messages) {
    if (m.type === "planned_change" && m.change?.resource?.addr) {
      const action = ACTIONS.has(m.change.action ?? "") ? (m.change.action as ChangeAction) : "update";
      const change: PlannedChange = { address: m.change.resource.addr, type: m.change.resource.resource_type ?? "", action };
      if (m.change.reason) change.reason = readableReason(m.change.reason);
      byAddress.set(change.address, change);
    } else if (m.type === "outputs" && m.outputs) {
      for (const [name, o] of Object.entries(m.outputs)) if (o.action && o.action !== "noop") outputChanges.push(name);
    }
  }
  return build([...byAddress.values()], outputChanges, exitCode);
}

interface ShowJsonPlan {
  resource_changes?: Array<{ address?: string; type?: string; mode?: string; action_reason?: string; change?: { actions?: string[] } }>;
  output_changes?: Record<string, { actions?: string[] }>;
}

/** Maps `show -json` action lists onto one action: any list with "delete" and "create" is a replace. */
export function actionFromList(actions: string[]): ChangeAction {
  const has = (a: string) => actions.includes(a);
  if (has("delete") && has("create")) return "replace";
  if (has("delete")) return "delete";
  if (has("create")) return "create";
  if (has("update")) return "update";
  if (has("read")) return "read";
  if (has("forget")) return "forget";
  return "noop";
}

export function summarizeShowJson(plan: ShowJsonPlan): PlanSummary {
  const changes: PlannedChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const action = actionFromList(rc.change?.actions ?? []);
    if (!rc.address || action === "noop") continue;
    const change: PlannedChange = { address: rc.address, type: rc.type ?? "", action };
    if (rc.action_reason) change.reason = readableReason(rc.action_reason);
    changes.push(change);
  }
  const outputChanges = Object.entries(plan.output_changes ?? {})
    .filter(([, o]) => actionFromList(o.actions ?? []) !== "noop")
    .map(([name]) => name);
  return build(changes, outputChanges);
}

/** "replace_because_cannot_update" and "cannot_update" both read "cannot update". */
function readableReason(reason: string): string {
  return reason.replace(/^(replace|delete|read)_because_/, "").replace(/_/g, " ");
}

function build(all: PlannedChange[], outputChanges: string[], exitCode?: number): PlanSummary {
  const changes = all.filter((c) => c.action !== "noop").sort((a, b) => a.address.localeCompare(b.address));
  const counts = { create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of changes) {
    if (c.action === "create" || c.action === "update" || c.action === "delete" || c.action === "replace") counts[c.action] += 1;
  }
  const hasChanges = exitCode !== undefined ? exitCode === 2 : changes.some((c) => c.action !== "read") || outputChanges.length > 0;
  return { changes, counts, outputChanges: outputChanges.sort(), hasChanges };
}

/** Changes that destroy a resource: deletes, replacements, and forgets (state loses it). */
export function destructiveChanges(summary: PlanSummary): PlannedChange[] {
  return summary.changes.filter((c) => c.action === "delete" || c.action === "replace" || c.action === "forget");
}
