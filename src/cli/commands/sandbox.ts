import path from "node:path";
import { findConfigFile } from "../../config/load.js";
import { parseDuration } from "../../core/duration.js";
import { EvalapError, UsageError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import type { EventSink } from "../../events/types.js";
import { sandboxDataDir, sandboxEnv, type SandboxDescriptor } from "../../sandbox/descriptor.js";
import {
  inspectSandbox,
  describeNotRunning,
  removeDataDir,
  requireRunningSandbox,
  startDaemon,
  stopDaemon,
} from "../../sandbox/daemon/control.js";
import { daemonFiles } from "../../sandbox/daemon/files.js";
import { findPostgresBinDir, findVersitygw, portInUse, portIsFree } from "../../sandbox/daemon/prereqs.js";
import { pushImage, SandboxApiError } from "../../sandbox/daemon/seed.js";
import { makeConfirm, runCommand, type GlobalOptions } from "../run.js";

export interface SandboxFlags {
  dataDir?: string;
}

export interface SandboxUpFlags extends SandboxFlags {
  port?: number;
  readyDelay: string;
}

export interface SandboxDownFlags extends SandboxFlags {
  grace: string;
}

export interface SandboxResetFlags extends SandboxFlags {
  yes?: boolean;
}

export interface SandboxEnvFlags extends SandboxFlags {
  shell: "sh" | "json";
}

/** How long `up` waits for the daemon: databases and app stand-ins restart before it is ready. */
const START_TIMEOUT_MS = 180_000;
const DURATION_HINT = 'use a number with a unit: "0s", "500ms", "1s", "2m"';

/** --data-dir, else the project's (the folder of evalap-infra.json found from here; else this folder). */
async function resolveDataDir(opts: SandboxFlags, globals: GlobalOptions): Promise<string> {
  if (opts.dataDir !== undefined) return path.resolve(opts.dataDir);
  let projectDir = process.cwd();
  try {
    projectDir = path.dirname(await findConfigFile(process.cwd(), globals.config));
  } catch (err) {
    // No project is fine (a sandbox needs none); a --config naming a missing file is not.
    if (globals.config !== undefined) throw err;
  }
  return sandboxDataDir(projectDir);
}

function durationMs(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`${flag} "${text}" is not a duration`, DURATION_HINT);
  return ms;
}

const info = (events: EventSink, message: string) => events.emit({ type: "log", level: "info", message });

/** Where the sandbox's parts listen: what status and up show (never a key or a secret). */
function publicView(d: SandboxDescriptor): Record<string, unknown> {
  return {
    pid: d.pid,
    startedAt: d.startedAt,
    dataDir: d.dataDir,
    apiUrl: d.apiUrl,
    s3Endpoint: d.s3.endpoint,
    stateBucket: d.s3.stateBucket,
    organizationId: d.scaleway.organizationId,
    projectId: d.scaleway.projectId,
    region: d.scaleway.region,
    images: d.images,
    log: daemonFiles(d.dataDir).log,
  };
}

function describeParts(events: EventSink, d: SandboxDescriptor): void {
  info(events, `  API (SCW_API_URL):  ${d.apiUrl}`);
  info(events, `  S3:                 ${d.s3.endpoint} (state bucket ${d.s3.stateBucket})`);
  info(events, `  project:            ${d.scaleway.projectId} (${d.scaleway.region})`);
  info(
    events,
    `  images:             ${
      Object.entries(d.images)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || "none"
    }`,
  );
  info(events, `  data folder:        ${d.dataDir}`);
  info(events, `  log:                ${daemonFiles(d.dataDir).log}`);
}

export function sandboxUpCommand(opts: SandboxUpFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("sandbox up", undefined, globals, async (cmd) => {
    const dataDir = await resolveDataDir(opts, globals);
    durationMs("--ready-delay", opts.readyDelay);
    cmd.events.emit({ type: "step.started", step: "sandbox", detail: `starting the sandbox on ${dataDir}` });
    const started = Date.now();
    const d = await startDaemon({
      dataDir,
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      readyDelay: opts.readyDelay,
      cli: path.resolve(process.argv[1] ?? "evalap-infra"),
      timeoutMs: START_TIMEOUT_MS,
      signal: cmd.signal,
      log: (line) => cmd.events.emit({ type: "log", level: "warn", message: line }),
      // Checked here too, so the usual mistakes are told before a daemon starts.
      preflight: async () => {
        findPostgresBinDir();
        findVersitygw();
        if (opts.port !== undefined && !(await portIsFree(opts.port))) throw portInUse(opts.port);
      },
    }).catch((err: unknown) => {
      cmd.events.emit({ type: "step.finished", step: "sandbox", outcome: "failed", durationMs: Date.now() - started });
      throw err;
    });
    cmd.events.emit({ type: "step.finished", step: "sandbox", outcome: "ok", durationMs: Date.now() - started });
    cmd.events.emit({ type: "data", kind: "sandbox", data: { running: true, state: "running", ...publicView(d) } });
    info(cmd.events, `sandbox running in the background (daemon pid ${d.pid}):`);
    describeParts(cmd.events, d);
    info(cmd.events, "next:");
    info(cmd.events, "  evalap-infra deploy sandbox                 deploy EvalAP on it");
    info(cmd.events, '  eval "$(evalap-infra sandbox env)"          set SCW_*, AWS_*, TF_VAR_* for plain tofu (prints secrets)');
    info(cmd.events, "  evalap-infra sandbox down                   stop it (its state stays)");
    return { summary: `sandbox running on ${d.apiUrl}` };
  });
}

export function sandboxStatusCommand(opts: SandboxFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("sandbox status", undefined, globals, async (cmd) => {
    const dataDir = await resolveDataDir(opts, globals);
    const s = await inspectSandbox(dataDir);
    if (s.state !== "running") {
      const view = "descriptor" in s ? publicView(s.descriptor) : s.state === "starting" ? { pid: s.pid, dataDir } : { dataDir };
      cmd.events.emit({ type: "data", kind: "sandbox", data: { running: false, state: s.state, ...view } });
      throw new EvalapError("sandbox_not_running", `no sandbox answers on ${dataDir}: ${describeNotRunning(s)}`, {
        exitCode: ExitCode.SandboxNotRunning,
        hint:
          s.state === "starting"
            ? "wait for `sandbox up` to finish, or `evalap-infra sandbox down`"
            : "start one with `evalap-infra sandbox up`",
      });
    }
    const d = s.descriptor;
    cmd.events.emit({ type: "data", kind: "sandbox", data: { running: true, state: "running", ...publicView(d), counts: s.counts } });
    info(cmd.events, `sandbox running (daemon pid ${d.pid}, since ${d.startedAt}):`);
    describeParts(cmd.events, d);
    const counts = Object.entries(s.counts).filter(([, n]) => n > 0);
    info(cmd.events, `  resources:          ${counts.map(([k, n]) => `${k} ${n}`).join(", ") || "none"}`);
    return { summary: `sandbox running on ${d.apiUrl}` };
  });
}

export function sandboxDownCommand(opts: SandboxDownFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("sandbox down", undefined, globals, async (cmd) => {
    const dataDir = await resolveDataDir(opts, globals);
    const graceMs = durationMs("--grace", opts.grace);
    const out = await stopDaemon(dataDir, graceMs, (line) => cmd.events.emit({ type: "log", level: "warn", message: line }));
    if (!out.wasRunning) {
      return {
        summary:
          out.pid !== undefined
            ? `no sandbox was running on ${dataDir} (cleaned what pid ${out.pid} left)`
            : `no sandbox running on ${dataDir}: nothing to stop`,
      };
    }
    if (out.killed) return { summary: `killed the sandbox (pid ${out.pid}, SIGKILL after ${opts.grace}); its state stays in ${dataDir}` };
    return { summary: `stopped the sandbox (pid ${out.pid}); its state stays in ${dataDir} for the next sandbox up` };
  });
}

export function sandboxResetCommand(opts: SandboxResetFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("sandbox reset", undefined, globals, async (cmd) => {
    const dataDir = await resolveDataDir(opts, globals);
    if (!opts.yes) {
      const confirm = makeConfirm(globals);
      const what = `sandbox reset deletes ${dataDir}: every resource, database, bucket and generated key of the sandbox`;
      if (confirm === null) {
        throw new EvalapError("confirmation_required", `${what}; there is no terminal to confirm it in`, {
          exitCode: ExitCode.GuardRefused,
          hint: "run again with --yes",
        });
      }
      if (!(await confirm(`${what}. Delete it?`))) {
        throw new EvalapError("declined", "nothing deleted: not confirmed", { exitCode: ExitCode.GuardRefused });
      }
    }
    const out = await stopDaemon(dataDir, 60_000, (line) => cmd.events.emit({ type: "log", level: "warn", message: line }));
    if (out.wasRunning) info(cmd.events, `stopped the sandbox (pid ${out.pid}${out.killed ? ", killed after the grace" : ""})`);
    const removed = await removeDataDir(dataDir);
    return { summary: removed ? `deleted ${dataDir}; the next sandbox up starts afresh` : `${dataDir} does not exist: nothing to delete` };
  });
}

export function sandboxPushCommand(image: string, opts: SandboxFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("sandbox push", undefined, globals, async () => {
    const d = await requireRunningSandbox(await resolveDataDir(opts, globals));
    const out = await pushImage({ url: d.apiUrl, token: d.scaleway.secretKey }, image).catch((err: unknown) => {
      if (!(err instanceof SandboxApiError)) throw err;
      throw new EvalapError("sandbox_push_refused", `the sandbox registry refused the image: ${err.message}`, {
        exitCode: err.status === 400 ? ExitCode.Usage : ExitCode.Failure,
        hint:
          err.status === 404
            ? "its namespace must exist in the sandbox registry (`evalap` does)"
            : "give a full reference, e.g. rg.fr-par.scw.cloud/evalap/evalap:1.2.3",
      });
    });
    if (out === "unserved") {
      throw new EvalapError(
        "sandbox_registry_missing",
        "this sandbox has no container registry (POST /_sandbox/registry/images is not served)",
        {
          hint: "a newer evalap-infra serves it; restart the sandbox with it (`sandbox down`, `sandbox up`)",
        },
      );
    }
    return { summary: `pushed ${image} to the sandbox registry` };
  });
}

/** Shell-quoted: `'` closes, an escaped quote, reopens. */
const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * The environment, on stdout, for the user's shell: secrets included on purpose (the one command
 * that prints them). Errors go through the usual reporter.
 */
export async function sandboxEnvCommand(opts: SandboxEnvFlags, globals: GlobalOptions): Promise<number> {
  let env: Record<string, string>;
  try {
    env = sandboxEnv(await requireRunningSandbox(await resolveDataDir(opts, globals)));
  } catch (err) {
    return runCommand("sandbox env", undefined, globals, () => Promise.reject(err instanceof Error ? err : new Error(String(err))));
  }
  if (opts.shell === "json" || globals.json) process.stdout.write(JSON.stringify(env) + "\n");
  else
    process.stdout.write(
      Object.entries(env)
        .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
        .join(""),
    );
  return ExitCode.Ok;
}

/** The daemon, in the foreground: timestamped lines on stdout (the log file when `up` started it). */
export async function sandboxServeCommand(opts: SandboxUpFlags, globals: GlobalOptions): Promise<number> {
  const log = (line: string) => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  let dataDir: string;
  let readyDelayMs: number;
  try {
    dataDir = await resolveDataDir(opts, globals);
    readyDelayMs = durationMs("--ready-delay", opts.readyDelay);
  } catch (err) {
    return runCommand("sandbox serve", undefined, globals, () => Promise.reject(err instanceof Error ? err : new Error(String(err))));
  }
  // Only the daemon loads the emulator (every API, pg, the stand-in runner); the other subcommands never need it.
  const { runDaemon } = await import("../../sandbox/daemon/serve.js");
  return runDaemon({ dataDir, readyDelayMs, ...(opts.port !== undefined ? { port: opts.port } : {}) }, log);
}
