import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { closestKey, knownKeysAt, locateJsonError, locateJsonPath } from "./explain.js";
import { pathProblems } from "./paths.js";
import { configSchema, type EnvironmentConfig, type ProjectConfigData } from "./schema.js";

export { configDefaults } from "./schema.js";

export const CONFIG_FILE = "evalap-infra.json";

export interface ProjectConfig extends ProjectConfigData {
  /** Absolute path of the config file. */
  file: string;
  /** Directory holding the config file: every relative path is resolved from it. */
  projectDir: string;
}

export interface ResolvedEnvironment extends EnvironmentConfig {
  name: string;
  /** Absolute path of the OpenTofu root module. */
  rootDir: string;
}

/** Finds the config file: the explicit path, else evalap-infra.json in cwd or a parent. */
export async function findConfigFile(cwd: string, explicit?: string): Promise<string> {
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    if (!(await isFile(file))) throw new ConfigError(`config file ${file} does not exist`, "check the --config path");
    return file;
  }
  let dir = path.resolve(cwd);
  for (;;) {
    const file = path.join(dir, CONFIG_FILE);
    if (await isFile(file)) return file;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ConfigError(
    `no ${CONFIG_FILE} found in ${cwd} or its parents`,
    `create ${CONFIG_FILE} at the repository root (see README, "Configuration"), or pass --config <file>`,
  );
}

/** Finds, parses and checks the config: its fields, then that its paths are inside the project. */
export async function loadConfig(cwd: string, explicit?: string): Promise<ProjectConfig> {
  const file = await findConfigFile(cwd, explicit);
  const text = await readFile(file, "utf8");
  const config = parseConfig(text, file);
  const problems = await pathProblems(config, config.projectDir);
  if (problems.length > 0)
    throw invalid(file, problems, "paths in evalap-infra.json are relative to its directory (the project) and must stay inside it");
  return config;
}

function invalid(file: string, lines: string[], hint: string, at?: { line: number; column: number }): ConfigError {
  return new ConfigError(`${file} is invalid:\n${lines.map((l) => `  - ${l}`).join("\n")}`, hint, { file, ...at });
}

export function parseConfig(text: string, file: string): ProjectConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const { reason, location } = locateJsonError(text, (err as Error).message);
    throw new ConfigError(
      `${file} is not valid JSON: ${reason} at line ${location.line}, column ${location.column}\n${location.excerpt}`,
      "fix the JSON syntax there (often a trailing comma, a missing comma or quote, or an unclosed brace just before it)",
      { file, line: location.line, column: location.column },
    );
  }
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const lines = parsed.error.issues.map(formatIssue);
    // The error points at the first problem (a CI annotation lands on its line); the message lists them all.
    const first = parsed.error.issues[0];
    const at = first ? locateJsonPath(text, first.code === "unrecognized_keys" ? [...first.path, first.keys[0] ?? ""] : first.path) : null;
    throw invalid(
      file,
      lines,
      `fix the field${lines.length > 1 ? "s" : ""} above; your editor completes the file when it names "$schema": "./evalap-infra.schema.json"`,
      at === null ? undefined : { line: at.line, column: at.column },
    );
  }
  return { ...parsed.data, file, projectDir: path.dirname(file) };
}

export function resolveEnvironment(config: ProjectConfig, name: string): ResolvedEnvironment {
  const env = Object.hasOwn(config.environments, name) ? config.environments[name] : undefined;
  if (env === undefined) {
    const known = Object.keys(config.environments);
    throw new ConfigError(
      `unknown environment "${name}"`,
      `known environments: ${known.join(", ")} (declared in ${path.basename(config.file)})`,
    );
  }
  return { ...env, name, rootDir: path.resolve(config.projectDir, env.root) };
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length === 0 ? "(top level)" : issue.path.map(String).join(".");
  let message = issue.message;
  if (issue.code === "unrecognized_keys") message = unknownFields(issue.keys, knownKeysAt(configSchema, issue.path));
  const got =
    "input" in issue && issue.input !== undefined && issue.code !== "unrecognized_keys" ? `, got ${JSON.stringify(issue.input)}` : "";
  return `${where}: ${message}${got}`;
}

/** Names the unknown fields, each with the known one it is probably a typo of, else the known ones. */
function unknownFields(keys: string[], known: string[]): string {
  const named = keys.map((k) => {
    const close = closestKey(k, known);
    return close ? `"${k}" (did you mean "${close}"?)` : `"${k}"`;
  });
  const listed =
    keys.every((k) => closestKey(k, known) === null) && known.length > 0
      ? ` (known fields: ${known.filter((k) => k !== "$schema").join(", ")})`
      : "";
  return `unknown field${keys.length > 1 ? "s" : ""} ${named.join(", ")}${listed}`;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
