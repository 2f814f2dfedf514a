import type { Argument, Command, Option } from "commander";
import { commandPath, type CommandDefinition } from "../cli/command.js";
import { COMMANDS } from "../cli/commands/index.js";
import { buildProgram } from "../cli/main.js";
import { configJsonSchema } from "../config/schema.js";
import { DURATION_PATTERN, LONG_DURATION_PATTERN } from "../core/duration.js";
import { EXIT_CODE_DESCRIPTIONS } from "../core/exit-codes.js";

/**
 * The generated references of docs/reference/: one source each (the commander program built from
 * the command definitions, the zod schema through its JSON Schema, the exit codes), written by
 * `npm run docs` (scripts/docs.mjs) and compared with the files by test/docs/reference.test.ts.
 */

export const REGENERATE = "npm run docs";

const HEADER = (source: string) =>
  `<!-- Generated from ${source} by \`${REGENERATE}\`: do not edit by hand (test/docs/reference.test.ts fails when it is stale). -->\n`;

/** File (relative to the repository) → content. */
export function renderReferences(): Record<string, string> {
  return {
    "docs/reference/commands.md": renderCommandsReference(COMMANDS),
    "docs/reference/configuration.md": renderConfigurationReference(configJsonSchema() as JsonSchema),
  };
}

// ---------------------------------------------------------------- commands

export function renderCommandsReference(commands: ReadonlyArray<CommandDefinition<never>>): string {
  const program = buildProgram(commands);
  const examples = new Map(commands.map((def) => [commandPath(def), def.examples]));
  const out: string[] = [HEADER("src/cli/commands/*.command.ts, src/cli/main.ts and src/core/exit-codes.ts")];
  out.push("# Command reference\n");
  out.push(`${program.description()}\n`);
  out.push("## Global options\n");
  out.push("Accepted by every command, before or after the command's name.\n");
  out.push(optionsTable(program.options));
  out.push("## Commands\n");
  const hidden = new Set(commands.filter((def) => def.hidden === true).map(commandPath));
  const leaves = leavesOf(program).filter((cmd) => !hidden.has(path(cmd)));
  for (const cmd of leaves) out.push(`- [\`${path(cmd)}\`](#${anchor(path(cmd))})`);
  out.push("");
  for (const cmd of leaves) out.push(commandSection(cmd, examples.get(path(cmd)) ?? []));
  out.push("## Exit codes\n");
  out.push("From `src/core/exit-codes.ts`; what to do about each one: [troubleshooting](../troubleshooting.md).\n");
  out.push("| code | meaning |\n| --- | --- |");
  const codes = Object.entries(EXIT_CODE_DESCRIPTIONS).sort(([a], [b]) => Number(a) - Number(b));
  for (const [n, text] of codes) out.push(`| ${n} | ${cell(text)} |`);
  return out.join("\n") + "\n";
}

function leavesOf(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => (c.commands.length > 0 ? leavesOf(c) : [c]));
}

/** "releases list", the words typed after evalap-infra. */
function path(cmd: Command): string {
  const words: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join(" ");
}

function commandSection(cmd: Command, examples: readonly string[]): string {
  const args = cmd.registeredArguments.map(argumentUsage).join(" ");
  const lines = [
    `### ${path(cmd)}\n`,
    "```text",
    `evalap-infra ${path(cmd)}${args ? ` ${args}` : ""}${cmd.options.length > 0 ? " [options]" : ""}`,
    "```\n",
  ];
  lines.push(`${cmd.description()}\n`);
  if (cmd.registeredArguments.length > 0) {
    lines.push("| argument | required | description |\n| --- | --- | --- |");
    for (const a of cmd.registeredArguments)
      lines.push(`| \`${argumentUsage(a)}\` | ${a.required ? "yes" : "no"} | ${cell(a.description)} |`);
    lines.push("");
  }
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length > 0) lines.push(optionsTable(options));
  if (examples.length > 0) lines.push("Examples:\n", "```sh", ...examples, "```\n");
  return lines.join("\n");
}

function argumentUsage(a: Argument): string {
  const name = `${a.name()}${a.variadic ? "..." : ""}`;
  return a.required ? `<${name}>` : `[${name}]`;
}

function optionsTable(options: readonly Option[]): string {
  const rows = ["| option | default | description |", "| --- | --- | --- |"];
  for (const o of options) {
    const allowed = o.argChoices ? ` (one of: ${o.argChoices.map((c) => `\`${c}\``).join(", ")})` : "";
    rows.push(`| ${code(o.flags)} | ${defaultOf(o)} | ${cell(o.description)}${allowed} |`);
  }
  return rows.join("\n") + "\n";
}

function defaultOf(o: Option): string {
  if (o.negate) return "";
  const d: unknown = o.defaultValue;
  if (d === undefined || (Array.isArray(d) && d.length === 0)) return "";
  return code(typeof d === "string" ? d : JSON.stringify(d));
}

// ------------------------------------------------------------ configuration

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

interface Row {
  key: string;
  type: string;
  required: boolean;
  default: string;
  allowed: string;
  description: string;
}

export function renderConfigurationReference(schema: JsonSchema): string {
  const rows: Row[] = [];
  walk(schema, "", rows, false);
  const out = [HEADER("the zod schema in src/config/schema.ts (through its JSON Schema, `evalap-infra config schema`)")];
  out.push("# Configuration reference: `evalap-infra.json`\n");
  out.push(
    "Every key of the project file, validated on every run (unknown keys are errors). Durations are a number with a unit " +
      "(`500ms`, `30s`, `10m`, `1h`; `d` too where said). `<name>` stands for an environment's name and `<NAME>` for a " +
      "secret's. The [README](../../README.md#configuration) explains how the keys are used.\n",
  );
  out.push("| key | type | required | default | allowed values | description |\n| --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    out.push(`| \`${r.key}\` | ${r.type} | ${r.required ? "yes" : "no"} | ${r.default} | ${r.allowed} | ${cell(r.description)} |`);
  }
  return out.join("\n") + "\n";
}

function walk(node: JsonSchema, key: string, rows: Row[], required: boolean): void {
  if (key !== "" && key !== "$schema") rows.push(row(node, key, required));
  if (node.properties) {
    for (const [name, child] of Object.entries(node.properties)) {
      walk(child, key === "" ? name : `${key}.${name}`, rows, node.required?.includes(name) ?? false);
    }
  }
  // A record of objects (environments): document the value's own keys under `<name>`.
  const value = typeof node.additionalProperties === "object" ? node.additionalProperties : undefined;
  if (value?.properties) {
    for (const [name, child] of Object.entries(value.properties)) {
      walk(child, `${key}.<name>.${name}`, rows, value.required?.includes(name) ?? false);
    }
  }
}

function row(node: JsonSchema, key: string, required: boolean): Row {
  return {
    key,
    type: typeOf(node),
    required,
    default: node.default === undefined ? "" : code(JSON.stringify(node.default)),
    allowed: allowedOf(node),
    description: node.description ?? "",
  };
}

function typeOf(node: JsonSchema): string {
  if (node.anyOf) return node.anyOf.map(typeOf).join(" or ");
  if (node.pattern === DURATION_PATTERN.source) return "duration";
  if (node.pattern === LONG_DURATION_PATTERN.source) return "duration (`d` allowed)";
  const t = Array.isArray(node.type) ? node.type.join(" or ") : (node.type ?? "any");
  if (t === "array") return `array of ${node.items ? typeOf(node.items) : "any"}`;
  if (t === "object" && !node.properties && typeof node.additionalProperties === "object") {
    const value = node.additionalProperties;
    if (value.properties) return "object (one entry per name)";
    return `map of ${Object.keys(value).length === 0 ? "any" : typeOf(value)}`;
  }
  return t;
}

function allowedOf(node: JsonSchema): string {
  const parts: string[] = [];
  if (node.enum) parts.push(node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(", "));
  if (node.minimum !== undefined && node.maximum !== undefined) parts.push(`${node.minimum}–${node.maximum}`);
  else if (node.minimum !== undefined) parts.push(`≥ ${node.minimum}`);
  else if (node.maximum !== undefined) parts.push(`≤ ${node.maximum}`);
  if (node.minLength !== undefined) parts.push(`at least ${node.minLength} character${node.minLength > 1 ? "s" : ""}`);
  if (node.format === "uri") parts.push("a URL");
  if (node.pattern && node.pattern !== DURATION_PATTERN.source && node.pattern !== LONG_DURATION_PATTERN.source) {
    parts.push(`matches ${code(node.pattern)}`);
  }
  const keys = node.propertyNames?.pattern;
  if (keys) parts.push(`keys match ${code(keys)}`);
  const items = node.items?.pattern;
  if (items) parts.push(`items match ${code(items)}`);
  return parts.join("; ");
}

// ----------------------------------------------------------------- helpers

/** A code span safe in a Markdown table cell. */
function code(text: string): string {
  return `\`${text.replace(/\|/g, "\\|")}\``;
}

/** Text safe in a Markdown table cell: pipes escaped; outside code spans, `<name>` kept from reading as HTML. */
function cell(text: string): string {
  return text
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ")
    .split("`")
    .map((part, i) => (i % 2 === 0 ? part.replace(/</g, "&lt;").replace(/>/g, "&gt;") : part))
    .join("`");
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
export function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}
