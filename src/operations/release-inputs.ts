import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { ProjectConfig, ResolvedEnvironment } from "../config/load.js";

const run = promisify(execFile);

const revisions = new Map<string, Promise<string | null>>();

/**
 * The git revision of the project, with "+dirty" when it has uncommitted changes; null outside
 * git. Read once per process: a deploy and its automatic rollback record the same checkout.
 */
export function gitRevision(dir: string): Promise<string | null> {
  let revision = revisions.get(dir);
  if (!revision) {
    revision = readGitRevision(dir);
    revisions.set(dir, revision);
  }
  return revision;
}

/**
 * One git process: `status --porcelain=v2 --branch` prints the commit (`# branch.oid`) and one line
 * per tracked file that differs from it (`rev-parse` then `status` cost two process starts).
 */
async function readGitRevision(dir: string): Promise<string | null> {
  try {
    const { stdout } = await run("git", ["status", "--porcelain=v2", "--branch", "--untracked-files=no"], { cwd: dir, timeout: 5000 });
    const lines = stdout.split("\n").filter((l) => l.length > 0);
    const oid = /^# branch\.oid ([0-9a-f]{40,64})$/.exec(lines.find((l) => l.startsWith("# branch.oid ")) ?? "")?.[1];
    // "(initial)": a repository without a commit has no revision to record.
    if (oid === undefined) return null;
    return `${oid}${lines.some((l) => !l.startsWith("#")) ? "+dirty" : ""}`;
  } catch {
    return null;
  }
}

/** Hash of what shapes a plan besides the run's variables: the config file and the root's files. */
export async function configHash(config: ProjectConfig, env: ResolvedEnvironment): Promise<string> {
  const hash = createHash("sha256");
  hash.update(await readFile(config.file));
  for (const name of (await readdir(env.rootDir)).sort()) {
    if (/\.(tf|tfvars|tf\.json|tfvars\.json)$/.test(name)) {
      hash.update(`\n${name}\n`);
      hash.update(await readFile(path.join(env.rootDir, name)));
    }
  }
  return `sha256:${hash.digest("hex")}`;
}

/** The image reference per service, read from a release's `images` variable when it has one. */
export function imagesOf(vars: Record<string, unknown>): Record<string, string> {
  const images = vars.images;
  if (typeof images !== "object" || images === null || Array.isArray(images)) return {};
  return Object.fromEntries(Object.entries(images).filter((e): e is [string, string] => typeof e[1] === "string"));
}
