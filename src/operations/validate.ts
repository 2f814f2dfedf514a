import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { EvalapError } from "../core/errors.js";
import * as tofu from "../tofu/commands.js";
import type { Diagnostic } from "../tofu/diagnostics.js";
import { runTofu } from "../tofu/process.js";
import { diagnosticEvent, reportDiagnostics, step, type RunContext } from "./context.js";

export interface ValidateOptions {
  /** Format the files `fmt -check` reports (tofu fmt, with the tofu the commands use) instead of failing on them. */
  fix?: boolean;
}

export interface ValidateReport {
  /** Files not formatted, relative to the project; after --fix, the ones it could not format. */
  unformatted: string[];
  /** Files --fix formatted. */
  formatted: string[];
  roots: Array<{ dir: string; valid: boolean; diagnostics: Diagnostic[] }>;
}

/** The command that formats what validate reports: it uses the resolved tofu, which may not be on PATH. */
export const FIX_COMMAND = "evalap-infra validate --fix";

/**
 * validate: `fmt -check` and `init -backend=false` + `validate` of every environment root and
 * every module under the modules directory. Fails when any of them has a problem; with `fix`,
 * files not formatted are formatted first.
 */
export async function validateAll(ctx: RunContext, opts: ValidateOptions = {}): Promise<ValidateReport> {
  const { config } = ctx;
  const envRoots = Object.values(config.environments).map((e) => path.resolve(config.projectDir, e.root));
  const modulesDir = path.resolve(config.projectDir, config.modulesDir);
  const moduleRoots = await subdirectories(modulesDir);
  const dirs = [...new Set([...envRoots, ...moduleRoots])];
  const fmtDirs = [...new Set([...envRoots, ...(moduleRoots.length > 0 ? [modulesDir] : [])])];

  let unformatted: string[] = [];
  let formatted: string[] = [];
  await step(
    ctx,
    "fmt",
    async () => {
      const found = new Set<string>();
      for (const dir of fmtDirs)
        for (const file of await tofu.fmtCheck(ctx.tofu, dir)) found.add(path.relative(config.projectDir, path.resolve(dir, file)));
      unformatted = [...found];
      if (opts.fix && unformatted.length > 0) {
        await formatFiles(ctx, unformatted);
        formatted = unformatted;
        unformatted = await stillUnformatted(ctx, unformatted);
        formatted = formatted.filter((f) => !unformatted.includes(f));
      }
    },
    () => {
      if (unformatted.length > 0) return { outcome: "failed", detail: `${files(unformatted.length)} not formatted` };
      return formatted.length > 0 ? { detail: `formatted ${files(formatted.length)}` } : {};
    },
  );
  for (const file of formatted) ctx.events.emit({ type: "log", level: "info", message: `formatted ${file}` });
  for (const file of unformatted) {
    const detail = opts.fix ? "tofu fmt could not format it: see its diagnostics" : `run \`${FIX_COMMAND}\` to format it`;
    ctx.events.emit({ type: "diagnostic", severity: "error", summary: `not formatted: ${file}`, detail });
  }

  const roots: ValidateReport["roots"] = [];
  for (const dir of dirs) {
    const rel = path.relative(config.projectDir, dir) || ".";
    const result = await step(
      ctx,
      "validate",
      async () => {
        try {
          await tofu.init(ctx.tofu, dir, { backend: false });
        } catch (err) {
          reportDiagnostics(ctx, err);
          return { valid: false, diagnostics: [{ severity: "error" as const, summary: `init failed: ${(err as Error).message}` }] };
        }
        return tofu.validate(ctx.tofu, dir);
      },
      (r) => (r.valid ? { detail: rel } : { outcome: "failed", detail: `${rel}: invalid` }),
    );
    for (const d of result.diagnostics) ctx.events.emit(diagnosticEvent(d, dir, `${rel}: `));
    roots.push({ dir: rel, valid: result.valid, diagnostics: result.diagnostics });
  }
  const invalid = roots.filter((r) => !r.valid);
  if (unformatted.length > 0 || invalid.length > 0) {
    const parts = [
      ...(unformatted.length > 0 ? [`${files(unformatted.length)} not formatted`] : []),
      ...(invalid.length > 0 ? [`invalid: ${invalid.map((r) => r.dir).join(", ")}`] : []),
    ];
    const fmtHint = unformatted.length > 0 && !opts.fix ? `; \`${FIX_COMMAND}\` formats the files` : "";
    throw new EvalapError("validation_failed", `validation failed: ${parts.join("; ")}`, {
      hint: `fix the problems listed above${fmtHint}`,
    });
  }
  return { unformatted, formatted, roots };
}

function files(n: number): string {
  return `${n} file${n === 1 ? "" : "s"}`;
}

/** `tofu fmt` of these files (relative to the project), with the tofu of the commands. */
async function formatFiles(ctx: RunContext, relFiles: string[]): Promise<void> {
  await runTofu(ctx.tofu, { cwd: ctx.config.projectDir, args: ["fmt", "-no-color", "-list=false", ...relFiles] }).catch((err: unknown) => {
    reportDiagnostics(ctx, err);
    throw err;
  });
}

/** The files a second `fmt -check` still reports (tofu could not format them, e.g. a syntax error). */
async function stillUnformatted(ctx: RunContext, relFiles: string[]): Promise<string[]> {
  const left = await runTofu(ctx.tofu, {
    cwd: ctx.config.projectDir,
    args: ["fmt", "-check", "-list=true", "-no-color", ...relFiles],
    okExitCodes: [3],
  });
  const listed = new Set(
    left.stdout
      .split("\n")
      .map((l) => path.normalize(l.trim()))
      .filter((l) => l !== "."),
  );
  return relFiles.filter((f) => listed.has(path.normalize(f)));
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
