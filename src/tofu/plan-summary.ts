import type { TofuJsonMessage } from "./diagnostics.js";

export type ChangeAction = "create" | "update" | "delete" | "replace" | "read" | "noop" | "move" | "forget" | "import";

export interface PlannedChange {
  address: string;
  type: string;
  action: ChangeAction;
  reason?: string;
  /**
   * The attributes that change, when the plan was read with `tofu show -json` (see withAttributes):
   * at most MAX_ATTRIBUTES per resource, values cut to MAX_VALUE_LENGTH characters.
   */
  attributes?: AttributeChange[];
  /** How many more changed attributes were left out of `attributes`. */
  attributesOmitted?: number;
}

/**
 * One attribute that changes, rendered for display: values are JSON text cut to a bounded length,
 * `(sensitive)` when tofu marks them sensitive, `(known after apply)` when unknown until apply.
 * `before` is absent for an attribute the resource did not have (create); `after` for one it loses.
 */
export interface AttributeChange {
  /** Attribute path, as tofu writes it: `tags["env"]`, `rule[0].port`. */
  path: string;
  before?: string;
  after?: string;
  /** This change alone makes tofu replace the resource. */
  forcesReplacement?: boolean;
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

/** What this tool reads of `tofu show -json PLANFILE` (its JSON plan representation, format 1.x). */
export interface ShowJsonPlan {
  resource_changes?: ShowJsonResourceChange[];
  /**
   * What refreshing found changed outside tofu, as resource changes from the state to the remote
   * objects. In a refresh-only plan every drifted resource is listed, no-op moves included
   * (opentofu v1.12.6 internal/command/jsonplan/plan.go, "In refresh-only mode, we render all resources marked as drifted").
   */
  resource_drift?: ShowJsonResourceChange[];
  output_changes?: Record<string, { actions?: string[] }>;
}

interface ShowJsonResourceChange {
  address?: string;
  type?: string;
  mode?: string;
  action_reason?: string;
  change?: {
    actions?: string[];
    before?: unknown;
    after?: unknown;
    /** Mirrors `after`: true where a value is unknown until apply (or true for the whole value). */
    after_unknown?: unknown;
    /** Mirror `before` / `after`: true where a value is sensitive (or true for the whole value). */
    before_sensitive?: unknown;
    after_sensitive?: unknown;
    /** Paths (lists of keys and indexes) whose change forces the replacement. */
    replace_paths?: unknown[][];
  };
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

// ---------------------------------------------------------------- attribute-level diff

/** Bounds of the attribute diff: it goes to terminals and NDJSON events, one plan at a time. */
export const MAX_ATTRIBUTES = 12;
export const MAX_VALUE_LENGTH = 80;
/** Deeper than this, a value is shown whole (as JSON, cut). */
const MAX_DEPTH = 5;

export const SENSITIVE = "(sensitive)";
export const UNKNOWN = "(known after apply)";

export interface AttributeDiff {
  /** The changed attributes of each created, updated or replaced resource, by address. */
  byAddress: Map<string, { attributes: AttributeChange[]; omitted: number }>;
  /** Values tofu marks sensitive: never rendered; for the redactor, so nothing else prints them either. */
  sensitiveValues: unknown[];
}

export type PathPart = string | number;

interface Sides {
  before: unknown;
  after: unknown;
  beforeSensitive: unknown;
  afterSensitive: unknown;
  afterUnknown: unknown;
}

/** What the diff needs of the run's redactor (report/redact.ts): learn secrets, then hide them. */
export interface SecretFilter {
  add(value: unknown): void;
  redact(text: string): string;
}

/**
 * The attributes each change sets, changes or removes, from `tofu show -json PLANFILE`. Deletions
 * and reads list none (the address says it all). Every value the plan marks sensitive is given to
 * `filter` before anything is rendered, and each shown value is redacted before it is cut: tofu
 * does not mark every copy of a secret (terraform_data's `output` loses the marks of its `input`),
 * so a copy is replaced whole by the redactor, never left half visible by the cut.
 */
export function attributeDiff(plan: ShowJsonPlan, filter?: SecretFilter, ignore?: IgnoreLeaf): AttributeDiff {
  const byAddress: AttributeDiff["byAddress"] = new Map();
  const sensitiveValues: unknown[] = [];
  const changes = (plan.resource_changes ?? []).filter((rc) => {
    const action = actionFromList(rc.change?.actions ?? []);
    return rc.address && rc.change && (action === "create" || action === "update" || action === "replace");
  });
  for (const rc of changes) {
    collectSecrets(rc.change?.before, rc.change?.before_sensitive, sensitiveValues);
    collectSecrets(rc.change?.after, rc.change?.after_sensitive, sensitiveValues);
  }
  for (const v of sensitiveValues) filter?.add(v);
  const redact = (t: string) => (filter ? filter.redact(t) : t);
  for (const rc of changes) {
    const c = rc.change ?? {};
    const leaves: AttributeChange[] = [];
    const sides: Sides = {
      before: c.before,
      after: c.after,
      beforeSensitive: c.before_sensitive,
      afterSensitive: c.after_sensitive,
      afterUnknown: c.after_unknown,
    };
    const skip = ignore ? (path: PathPart[], before: unknown, after: unknown) => ignore(rc.type ?? "", path, before, after) : undefined;
    walk([], sides, leaves, redact, c.replace_paths ?? [], skip);
    // What forces a replacement first: it is what the reader must see.
    const ordered = [...leaves.filter((l) => l.forcesReplacement), ...leaves.filter((l) => !l.forcesReplacement)];
    const omitted = Math.max(0, ordered.length - MAX_ATTRIBUTES);
    byAddress.set(rc.address ?? "", { attributes: ordered.slice(0, MAX_ATTRIBUTES), omitted });
  }
  return { byAddress, sensitiveValues };
}

/** The summary with each change's attributes from `diff` (the stream's summary keeps its own wording). */
export function withAttributes(summary: PlanSummary, diff: AttributeDiff): PlanSummary {
  const changes = summary.changes.map((c) => {
    const found = diff.byAddress.get(c.address);
    if (!found) return c;
    return { ...c, attributes: found.attributes, ...(found.omitted > 0 ? { attributesOmitted: found.omitted } : {}) };
  });
  return { ...summary, changes };
}

/** A changed leaf the caller does not want listed (drift: what the provider computes, null ↔ zero); raw values, never rendered. */
export type IgnoreLeaf = (resourceType: string, path: PathPart[], before: unknown, after: unknown) => boolean;

function walk(
  path: PathPart[],
  s: Sides,
  out: AttributeChange[],
  redact: (t: string) => string,
  replacePaths: unknown[][],
  skip?: (path: PathPart[], before: unknown, after: unknown) => boolean,
): void {
  const beforeSensitive = s.beforeSensitive === true;
  const afterSensitive = s.afterSensitive === true;
  const unknown = s.afterUnknown === true;
  if (!unknown && !beforeSensitive && !afterSensitive && path.length < MAX_DEPTH && isContainer(s.before, s.after)) {
    for (const key of childKeys(s)) {
      const child = (v: unknown) => childOf(v, key);
      walk(
        [...path, key],
        {
          before: child(s.before),
          after: child(s.after),
          beforeSensitive: child(s.beforeSensitive),
          afterSensitive: child(s.afterSensitive),
          afterUnknown: child(s.afterUnknown),
        },
        out,
        redact,
        replacePaths,
        skip,
      );
    }
    return;
  }
  // Sensitive values are compared here, in memory, and never rendered.
  if (!unknown && sameValue(s.before, s.after)) return;
  if (path.length === 0) return;
  if (!unknown && skip?.(path, s.before, s.after)) return;
  const leaf: AttributeChange = { path: formatPath(path) };
  const before = render(s.before, s.beforeSensitive, undefined, redact);
  const after = unknown ? UNKNOWN : render(s.after, s.afterSensitive, s.afterUnknown, redact);
  if (before !== undefined) leaf.before = before;
  if (after !== undefined) leaf.after = after;
  if (replacePaths.some((p) => isPrefix(p, path) || isPrefix(path, p))) leaf.forcesReplacement = true;
  out.push(leaf);
}

/** Both sides are objects or arrays of the same kind (or one side is absent): compare their members. */
function isContainer(before: unknown, after: unknown): boolean {
  const kind = (v: unknown) => {
    if (v == null) return "none";
    return Array.isArray(v) ? "array" : typeof v === "object" ? "object" : "scalar";
  };
  const [a, b] = [kind(before), kind(after)];
  if (a === "scalar" || b === "scalar") return false;
  return a === "none" ? b !== "none" : b === "none" || a === b;
}

function childKeys(s: Sides): PathPart[] {
  const arrays = [s.before, s.after, s.afterUnknown].filter(Array.isArray);
  if (arrays.length > 0) {
    const length = Math.max(...arrays.map((a) => a.length));
    return Array.from({ length }, (_, i) => i);
  }
  const keys = new Set<string>();
  // Unknown attributes are absent from `after`: only after_unknown names them.
  for (const v of [s.before, s.after, s.afterUnknown]) if (isRecord(v)) for (const k of Object.keys(v)) keys.add(k);
  return [...keys].sort();
}

function childOf(value: unknown, key: PathPart): unknown {
  if (typeof key === "number") return Array.isArray(value) ? value[key] : undefined;
  return isRecord(value) ? value[key] : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Deep equality where null and absent are the same (an unset attribute). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a == null || b == null) return a == null && b == null;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return a === b;
}

/** A value as shown: JSON, sensitive and unknown parts replaced by their markers, cut to MAX_VALUE_LENGTH. */
function render(value: unknown, sensitive: unknown, unknown: unknown, redact: (t: string) => string): string | undefined {
  if (sensitive === true) return value == null ? undefined : SENSITIVE;
  if (value === undefined && (unknown === undefined || unknown === false)) return undefined;
  const text = redact(JSON.stringify(masked(value, sensitive, unknown)) ?? "null");
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

function masked(value: unknown, sensitive: unknown, unknown: unknown): unknown {
  if (sensitive === true) return SENSITIVE;
  if (unknown === true) return UNKNOWN;
  if (Array.isArray(value) || Array.isArray(unknown)) {
    const values = Array.isArray(value) ? value : [];
    const length = Math.max(values.length, Array.isArray(unknown) ? unknown.length : 0);
    return Array.from({ length }, (_, i) => masked(values[i], childOf(sensitive, i), childOf(unknown, i)));
  }
  if (isRecord(value) || isRecord(unknown)) {
    const keys = new Set([...Object.keys(isRecord(value) ? value : {}), ...Object.keys(isRecord(unknown) ? unknown : {})]);
    return Object.fromEntries([...keys].sort().map((k) => [k, masked(childOf(value, k), childOf(sensitive, k), childOf(unknown, k))]));
  }
  return value;
}

/** Every value the sensitive mirror marks, wherever it sits. */
function collectSecrets(value: unknown, sensitive: unknown, secrets: unknown[]): void {
  if (sensitive === true) {
    if (value != null) secrets.push(value);
    return;
  }
  if (Array.isArray(sensitive)) sensitive.forEach((s, i) => collectSecrets(childOf(value, i), s, secrets));
  else if (isRecord(sensitive)) for (const [k, s] of Object.entries(sensitive)) collectSecrets(childOf(value, k), s, secrets);
}

/** `name`, `rule[0].port`, `tags["app/env"]`: tofu's own notation. */
function formatPath(path: PathPart[]): string {
  const part = (p: PathPart, i: number): string => {
    if (typeof p === "number") return `[${p}]`;
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) return `[${JSON.stringify(p)}]`;
    return i === 0 ? p : `.${p}`;
  };
  return path.map(part).join("");
}

function isPrefix(prefix: unknown[], path: unknown[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

// ---------------------------------------------------------------- drift (refresh-only plans)

/** A resource changed outside tofu, as a refresh-only plan shows it. */
export interface DriftedResource {
  address: string;
  type: string;
  /** `update`: its remote object differs from the state; `delete`: it is gone. */
  action: ChangeAction;
  /** What differs, state (`before`) → remote (`after`); sensitive values as `(sensitive)`. */
  attributes: AttributeChange[];
  /** How many more changed attributes were left out of `attributes`. */
  attributesOmitted?: number;
}

export interface Drift {
  resources: DriftedResource[];
  /** Root outputs whose value the refresh changes. */
  outputChanges: string[];
  /**
   * Resources tofu's refresh listed whose every difference is the provider's own (a computed-only
   * attribute, an unset value read back as zero): not drift, counted so nothing is hidden silently.
   */
  ignored: string[];
}

/** Which changed leaves are not drift: given the resource type, the path and the raw values. */
export type DriftNoise = IgnoreLeaf;

/**
 * The drift of a refresh-only plan (`tofu show -json PLANFILE`): each drifted resource with its
 * changed attributes, rendered as the plan diff renders them (attributeDiff: sensitive values are
 * given to `filter` first and shown as `(sensitive)`). Move-only entries (no-op) are left out, and
 * so are the leaves `noise` names; a resource left with no attribute is `ignored`.
 */
export function driftOf(plan: ShowJsonPlan, filter?: SecretFilter, noise?: DriftNoise): Drift {
  const drifted = (plan.resource_drift ?? []).filter((rc) => rc.address && actionFromList(rc.change?.actions ?? []) !== "noop");
  const diff = attributeDiff({ resource_changes: drifted }, filter, noise);
  const resources: DriftedResource[] = [];
  const ignored: string[] = [];
  for (const rc of drifted) {
    const action = actionFromList(rc.change?.actions ?? []);
    const found = diff.byAddress.get(rc.address ?? "");
    const attributes = found?.attributes ?? [];
    if (action === "update" && attributes.length === 0) {
      ignored.push(rc.address ?? "");
      continue;
    }
    resources.push({
      address: rc.address ?? "",
      type: rc.type ?? "",
      action,
      attributes,
      ...(found && found.omitted > 0 ? { attributesOmitted: found.omitted } : {}),
    });
  }
  resources.sort((a, b) => a.address.localeCompare(b.address));
  return {
    resources,
    outputChanges: summarizeShowJson({ output_changes: plan.output_changes ?? {} }).outputChanges,
    ignored: ignored.sort(),
  };
}
