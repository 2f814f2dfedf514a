import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { EvalapError } from "../core/errors.js";
import * as tofu from "../tofu/commands.js";
import type { Diagnostic } from "../tofu/diagnostics.js";
import { reportDiagnostics, step, type RunContext } from "./context.js";

export interface ValidateReport {
  unformatted: string[];
  roots: Array<{ dir: string; valid: boolean; diagnostics: Diagnostic[] }>;
}

/**
 * validate: `fmt -check` and `init -backend=false` + `validate` of every environment root and
 * every module under the modules directory. Fails when any of them has a problem.
 */
export async function validateAll(ctx: RunContext): Promise<ValidateReport> {
  const { config } = ctx;
  const envRoots = Object.values(config.environments).map((e) => path.resolve(config.projectDir, e.root));
  const modulesDir = path.resolve(config.projectDir, config.modulesDir);
  const moduleRoots = await subdirectories(modulesDir);
  const dirs = [...new Set([...envRoots, ...moduleRoots])];
  const fmtDirs = [...new Set([...envRoots, ...(moduleRoots.length > 0 ? [modulesDir] : [])])];

  const unformatted: string[] = [];
  await step(
    ctx,
    "fmt",
    async () => {
      for (const dir of fmtDirs) for (const file of await tofu.fmtCheck(ctx.tofu, dir)) unformatted.push(path.relative(config.projectDir, path.resolve(dir, file)));
    },
    () => (unformatted.length > 0 ? { detail: `${unformatted.length} file(s) not formatted` } : {}),
  );
  for (const file of unformatted) ctx.events.emit({ type: "diagnostic", severity: "error", summary: `not formatted: ${file}`, detail: "run `tofu fmt -recursive` to fix" });

  const roots: ValidateReport["roots"] = [];
  for (const dir of dirs) {
    const rel = path.relative(config.projectDir, dir) || ".";
    const result = await step(ctx, "validate", async () => {
      try {
        await tofu.init(ctx.tofu, dir, { backend: false });
      } catch (err) {
        reportDiagnostics(ctx, err);
        return { valid: false, diagnostics: [{ severity: "error" as const, summary: `init failed: ${(err as Error).message}` }] };
      }
      return tofu.validate(ctx.tofu, dir);
    }, (r) => ({ detail: `${rel}${r.valid ? "" : " (invalid)"}` }));
    for (const d of result.diagnostics) {
      ctx.events.emit({ type: "diagnostic", severity: d.severity, summary: `${rel}: ${d.summary}`, ...(d.detail ? { detail: d.detail } : {}), ...(d.address ? { address: d.address } : {}) });
    }
    roots.push({ dir: rel, valid: result.valid, diagnostics: result.diagnostics });
  }
  const invalid = roots.filter((r) => !r.valid);
  if (unformatted.length > 0 || invalid.length > 0) {
    const parts = [
      ...(unformatted.length > 0 ? [`${unformatted.length} file(s) not formatted`] : []),
      ...(invalid.length > 0 ? [`invalid: ${invalid.map((r) => r.dir).join(", ")}`] : []),
    ];
    throw new EvalapError("validation_failed", `validation failed: ${parts.join("; ")}`, { hint: "fix the problems listed above; `tofu fmt -recursive infra` formats the files" });
  }
  return { unformatted, roots };
}

async function subdirectories(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names.sort()) {
    const full = path.join(dir, name);
    if ((await stat(full)).isDirectory() && !name.startsWith(".")) out.push(full);
  }
  return out;
}
