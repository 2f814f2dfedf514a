import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { ProjectConfigData } from "./schema.js";

/**
 * The paths of the config must stay inside the project (the directory of the config file): tofu
 * writes `.terraform/` into a root, so a root at `../../etc` would write there. Symbolic links are
 * followed (realpath) so a link cannot lead outside either. Roots must be existing directories: a
 * missing one or a file would otherwise surface as a tofu or spawn error far from its cause.
 */
export async function pathProblems(config: ProjectConfigData, projectDir: string): Promise<string[]> {
  const realProject = await realpath(projectDir).catch(() => projectDir);
  const problems: string[] = [];
  for (const [name, env] of Object.entries(config.environments)) {
    const field = `environments.${name}.root`;
    const rootDir = path.resolve(projectDir, env.root);
    const root = await check(field, env.root, rootDir, projectDir, realProject, "directory", true);
    if (root) problems.push(root);
    for (const [i, file] of env.varFiles.entries()) {
      const problem = await check(
        `environments.${name}.varFiles[${i}]`,
        file,
        path.resolve(rootDir, file),
        projectDir,
        realProject,
        "file",
        false,
      );
      if (problem) problems.push(problem);
    }
  }
  const modules = await check(
    "modulesDir",
    config.modulesDir,
    path.resolve(projectDir, config.modulesDir),
    projectDir,
    realProject,
    "directory",
    false,
  );
  if (modules) problems.push(modules);
  const alerts = await check(
    "alerts.dir",
    config.alerts.dir,
    path.resolve(projectDir, config.alerts.dir),
    projectDir,
    realProject,
    "directory",
    false,
  );
  if (alerts) problems.push(alerts);
  return problems;
}

type Kind = "directory" | "file";

async function check(
  field: string,
  written: string,
  resolved: string,
  projectDir: string,
  realProject: string,
  kind: Kind,
  required: boolean,
): Promise<string | null> {
  const quoted = JSON.stringify(written);
  if (!isInside(projectDir, resolved)) {
    return `${field}: ${quoted} is outside the project directory ${projectDir}; use a path inside it, relative to ${
      field.includes("varFiles") ? "the root" : "evalap-infra.json"
    } (e.g. ${kind === "directory" ? '"infra/staging"' : '"staging.tfvars"'})`;
  }
  const real = await realpath(resolved).catch((err: NodeJS.ErrnoException) => err);
  if (real instanceof Error) {
    if (real.code !== "ENOENT" && real.code !== "ENOTDIR") return `${field}: ${quoted} cannot be read (${real.code ?? real.message})`;
    return required ? `${field}: ${quoted} does not exist (no directory at ${resolved}); create it or correct the path` : null;
  }
  if (!isInside(realProject, real)) {
    return `${field}: ${quoted} leads through a symbolic link to ${real}, outside the project directory; point it at a directory inside the project`;
  }
  const isDirectory = (await stat(real)).isDirectory();
  if (kind === "directory" && !isDirectory)
    return `${field}: ${quoted} is a file, not a directory; name the directory holding the ${field === "alerts.dir" ? "rule" : ".tf"} files`;
  if (kind === "file" && isDirectory) return `${field}: ${quoted} is a directory, not a tfvars file; name the file`;
  return null;
}

function isInside(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
