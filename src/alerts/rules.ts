import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseDocument } from "yaml";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { promDurationMs } from "../core/prom-duration.js";

/**
 * Prometheus rule groups kept as files (`groups:` lists, the format `promtool check rules` and
 * Mimir's ruler read), as pushed to Cockpit's ruler: one group per POST of
 * `<metrics url>/prometheus/config/v1/rules/<namespace>` (scaleway/docs-content
 * pages/cockpit/api-cli/create-alerts-programmatically.mdx; group fields from Prometheus'
 * alerting rules documentation). Only the fields below are accepted, so a typo is an error, not a
 * field the ruler silently drops.
 */
export interface RuleGroup {
  name: string;
  /** Evaluation interval ("1m"); the ruler's default when absent. */
  interval?: string;
  rules: Rule[];
}

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A group and the file it came from, for messages. */
export interface LoadedGroup {
  file: string;
  group: RuleGroup;
}

/** Labels an alert may carry: routing by the Scaleway alert manager stays predictable. */
export const ALLOWED_LABELS = ["severity", "service", "team"] as const;
export const SEVERITIES = ["critical", "warning", "info"] as const;
const GROUP_KEYS = new Set(["name", "interval", "rules"]);
const RULE_KEYS = new Set(["alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"]);
const REQUIRED_ANNOTATIONS = ["summary", "description"] as const;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** The rule files of an environment: `<dir>/*.yaml|yml` (every environment), then `<dir>/<root name>/*.yaml|yml`. */
export async function ruleFiles(dir: string, rootName: string | undefined): Promise<string[]> {
  const list = async (d: string): Promise<string[]> => {
    try {
      const entries = await readdir(d, { withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
        .map((e) => path.join(d, e.name))
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  };
  return [...(await list(dir)), ...(rootName === undefined ? [] : await list(path.join(dir, rootName)))];
}

/** Every subfolder of the rules folder: `alerts check` lints the files of every root. */
export async function ruleSubfolders(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

export class AlertRulesInvalidError extends EvalapError {
  constructor(readonly problems: string[]) {
    super(
      "alert_rules_invalid",
      `the alert rule files have ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
      {
        exitCode: ExitCode.Failure,
        hint: "fix each file and group named above, then run `evalap-infra alerts check` again",
      },
    );
    this.name = "AlertRulesInvalidError";
  }
}

/**
 * Reads and checks the files (YAML, group structure, unique group names across them, non-empty
 * expressions, durations, labels and annotations). Every problem names its file and group; all of
 * them are reported at once (AlertRulesInvalidError).
 */
export async function loadRuleGroups(files: string[], relativeTo: string): Promise<LoadedGroup[]> {
  const problems: string[] = [];
  const groups: LoadedGroup[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const shown = path.relative(relativeTo, file) || file;
    const text = await readFile(file, "utf8");
    for (const g of parseFile(text, shown, problems)) {
      const earlier = seen.get(g.name);
      if (earlier !== undefined)
        problems.push(`${shown}: group "${g.name}": the name is already used in ${earlier} (group names are unique)`);
      else seen.set(g.name, shown);
      groups.push({ file: shown, group: g });
    }
  }
  if (problems.length > 0) throw new AlertRulesInvalidError(problems);
  return groups;
}

function parseFile(text: string, file: string, problems: string[]): RuleGroup[] {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) problems.push(`${file}: not valid YAML: ${e.message.split("\n")[0] ?? e.message}`);
    return [];
  }
  const root: unknown = doc.toJS();
  if (!isObject(root) || !Array.isArray(root.groups)) {
    problems.push(`${file}: expected a "groups:" list of rule groups at the top level`);
    return [];
  }
  const extra = Object.keys(root).filter((k) => k !== "groups");
  if (extra.length > 0) problems.push(`${file}: unknown top-level field(s) ${extra.join(", ")} (only "groups")`);
  if (root.groups.length === 0) problems.push(`${file}: "groups" is empty`);
  const out: RuleGroup[] = [];
  root.groups.forEach((raw: unknown, i: number) => {
    const g = checkGroup(raw, `${file}: group #${i + 1}`, file, problems);
    if (g) out.push(g);
  });
  return out;
}

function checkGroup(raw: unknown, where: string, file: string, problems: string[]): RuleGroup | null {
  if (!isObject(raw)) {
    problems.push(`${where}: expected a mapping with name, interval and rules`);
    return null;
  }
  const name = typeof raw.name === "string" ? raw.name.trim() : "";
  if (name === "") {
    problems.push(`${where}: "name" is missing or empty`);
    return null;
  }
  const at = `${file}: group "${name}"`;
  const before = problems.length;
  for (const k of Object.keys(raw))
    if (!GROUP_KEYS.has(k)) problems.push(`${at}: unknown field "${k}" (allowed: ${[...GROUP_KEYS].join(", ")})`);
  if (raw.interval !== undefined && (typeof raw.interval !== "string" || promDurationMs(raw.interval) === null)) {
    problems.push(`${at}: interval ${JSON.stringify(raw.interval)} is not a duration such as "1m" or "30s"`);
  }
  if (!Array.isArray(raw.rules) || raw.rules.length === 0) {
    problems.push(`${at}: "rules" must be a non-empty list`);
    return null;
  }
  const rules: Rule[] = [];
  raw.rules.forEach((r: unknown, i: number) => {
    const rule = checkRule(r, `${at}: rule #${i + 1}`, problems);
    if (rule) rules.push(rule);
  });
  if (problems.length > before) return null;
  return { name, ...(typeof raw.interval === "string" ? { interval: raw.interval } : {}), rules };
}

function checkRule(raw: unknown, where: string, problems: string[]): Rule | null {
  if (!isObject(raw)) {
    problems.push(`${where}: expected a mapping with alert, expr, for, labels and annotations`);
    return null;
  }
  const named = typeof raw.alert === "string" ? `alert "${raw.alert}"` : typeof raw.record === "string" ? `record "${raw.record}"` : "";
  const at = named ? `${where} (${named})` : where;
  const before = problems.length;
  for (const k of Object.keys(raw))
    if (!RULE_KEYS.has(k)) problems.push(`${at}: unknown field "${k}" (allowed: ${[...RULE_KEYS].join(", ")})`);
  const isAlert = raw.alert !== undefined;
  if (isAlert === (raw.record !== undefined)) problems.push(`${at}: a rule has exactly one of "alert" and "record"`);
  if (isAlert && (typeof raw.alert !== "string" || !LABEL_NAME.test(raw.alert)))
    problems.push(`${at}: "alert" must be a name of letters, digits and underscores`);
  if (raw.record !== undefined && (typeof raw.record !== "string" || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(raw.record)))
    problems.push(`${at}: "record" must be a metric name`);
  if (typeof raw.expr !== "string" || raw.expr.trim() === "") problems.push(`${at}: "expr" is missing or empty`);
  for (const key of ["for", "keep_firing_for"] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!isAlert) problems.push(`${at}: "${key}" applies to alerting rules only`);
    else if (typeof v !== "string" || promDurationMs(v) === null)
      problems.push(`${at}: ${key} ${JSON.stringify(v)} is not a duration such as "5m"`);
  }
  const labels = stringMap(raw.labels, `${at}: labels`, problems);
  const annotations = stringMap(raw.annotations, `${at}: annotations`, problems);
  for (const k of Object.keys(labels ?? {})) {
    if (!(ALLOWED_LABELS as readonly string[]).includes(k))
      problems.push(`${at}: label "${k}" is not allowed (allowed: ${ALLOWED_LABELS.join(", ")})`);
  }
  if (isAlert) {
    const severity = labels?.severity;
    if (severity === undefined) problems.push(`${at}: the "severity" label is required (${SEVERITIES.join(", ")})`);
    else if (!(SEVERITIES as readonly string[]).includes(severity))
      problems.push(`${at}: severity "${severity}" is not one of ${SEVERITIES.join(", ")}`);
    for (const a of REQUIRED_ANNOTATIONS) {
      if (!annotations?.[a]?.trim()) problems.push(`${at}: the "${a}" annotation is required`);
    }
  }
  if (problems.length > before) return null;
  const rule: Rule = { expr: String(raw.expr).trim() };
  if (isAlert) rule.alert = String(raw.alert);
  else rule.record = String(raw.record);
  if (typeof raw.for === "string") rule.for = raw.for;
  if (typeof raw.keep_firing_for === "string") rule.keep_firing_for = raw.keep_firing_for;
  if (labels) rule.labels = labels;
  if (annotations) rule.annotations = annotations;
  return rule;
}

function stringMap(v: unknown, where: string, problems: string[]): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) {
    problems.push(`${where}: expected a mapping of names to strings`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!LABEL_NAME.test(k)) problems.push(`${where}: "${k}" is not a valid name (letters, digits, underscores)`);
    if (typeof val !== "string") problems.push(`${where}: "${k}" must be a string (quote it)`);
    else out[k] = val;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
