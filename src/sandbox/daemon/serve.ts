import { mkdir, rm } from "node:fs/promises";
import { EvalapError, errorMessage, isEvalapError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import { lockDataDir } from "../datalock.js";
import { SandboxDescriptorSchema, type SandboxDescriptor } from "../descriptor.js";
import { startSandbox, type Sandbox } from "../server.js";
import { loadOrCreateCredentials, saveCredentials } from "./credentials.js";
import { daemonFiles, writePrivateFile, type StartFailure } from "./files.js";
import { freePort } from "../ports.js";
import { findPostgresBinDir, findVersitygw, portInUse, portIsFree } from "./prereqs.js";
import { ensureStateBucket, startS3, stopOrphanS3, type RunningS3 } from "./s3.js";
import { DEFAULT_IMAGES, ENVIRONMENT_PROJECT, ensureNamespace, ensureProject, imageExists, pushImage, standinDigest } from "./seed.js";

export const REGION = "fr-par";
export const ZONE = "fr-par-1";
/** The staging root's state bucket, as infra/bootstrap names it. */
export const STATE_BUCKET = "evalap-tfstate-staging";

export interface DaemonOptions {
  /** Absolute. */
  dataDir: string;
  /** The API's port; undefined: the last start's when free, else any free one. */
  port?: number;
  readyDelayMs: number;
}

export type DaemonLog = (line: string) => void;

/**
 * The sandbox daemon (`evalap-infra sandbox serve`): the S3 server, the emulator, what
 * infra/bootstrap would have made, then the descriptor, last. Runs until SIGTERM or SIGINT, then
 * stops everything and removes the descriptor. Resolves to the process's exit code.
 */
export async function runDaemon(opts: DaemonOptions, log: DaemonLog): Promise<number> {
  const files = daemonFiles(opts.dataDir);
  let stopRequested: (sig: NodeJS.Signals) => void = () => undefined;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve));
  const onSignal = (sig: NodeJS.Signals) => stopRequested(sig);
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // Detached from any terminal, but a foreground `serve` whose terminal closes should stop cleanly too.
  process.on("SIGHUP", onSignal);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => log(`while stopping: ${errorMessage(err)}`));
    cleanups.length = 0;
  };
  try {
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    await rm(files.failure, { force: true });
    await mkdir(files.lockDir, { recursive: true, mode: 0o700 });
    const unlock = await lockDataDir(files.lockDir).catch((err: unknown) => {
      if (!/in use by process/.test(errorMessage(err))) throw err;
      throw new EvalapError("sandbox_running", `a sandbox already runs on ${opts.dataDir} (${errorMessage(err)})`, {
        exitCode: ExitCode.SandboxRunning,
        hint: "`evalap-infra sandbox down` first",
      });
    });
    cleanups.push(unlock);
    log(`daemon pid ${process.pid}, data folder ${opts.dataDir}`);
    log(`PostgreSQL binaries: ${findPostgresBinDir()}`);
    const versitygw = findVersitygw();

    const creds = await loadOrCreateCredentials(opts.dataDir);
    const apiPort = await choosePort(opts.port, creds.ports.api, log, "API");
    await stopOrphanS3(files.s3Dir, log);
    const s3Port = await choosePort(undefined, creds.ports.s3, log, "S3");
    const s3: RunningS3 = await startS3({ bin: versitygw, dir: files.s3Dir, port: s3Port, ...creds.s3, region: REGION });
    cleanups.push(() => s3.stop());
    log(`S3 server (versitygw pid ${s3.pid}) on ${s3.endpoint}`);

    const sandbox: Sandbox = await startSandbox({
      dataDir: opts.dataDir,
      port: apiPort,
      readyDelayMs: opts.readyDelayMs,
      token: creds.scaleway.secretKey,
      account: { organizationId: creds.scaleway.organizationId, defaultProjectId: creds.scaleway.projectId },
      // Paths and statuses only: tokens travel in headers and secrets in bodies, neither is logged.
      onRequest: (e) => log(`${e.method} ${e.url} ${e.status}${e.error ? ` ${e.error}` : ""}`),
    }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") throw portInUse(apiPort);
      throw err;
    });
    cleanups.push(() => sandbox.stop());
    log(`Scaleway API emulator on ${sandbox.url} (ready delay ${opts.readyDelayMs} ms)`);
    await saveCredentials(opts.dataDir, { ...creds, ports: { api: Number(new URL(sandbox.url).port), s3: s3Port } });

    const s3Info = { endpoint: s3.endpoint, region: REGION, ...creds.s3 };
    log(`state bucket ${STATE_BUCKET}: ${await ensureStateBucket(s3Info, STATE_BUCKET)}`);
    const client = { url: sandbox.url, token: creds.scaleway.secretKey, projectId: creds.scaleway.projectId, region: REGION };
    const project = await ensureProject({ ...client, organizationId: creds.scaleway.organizationId }, ENVIRONMENT_PROJECT);
    log(`environment project ${project.name}: ${project.id}`);
    const ns = await ensureNamespace(client);
    log(ns === "unserved" ? "registry namespace: skipped, this sandbox serves no Registry API" : `registry namespace evalap: ${ns}`);
    for (const image of Object.values(DEFAULT_IMAGES)) {
      if (await imageExists(client, image)) {
        log(`image ${image}: already in the registry`);
        continue;
      }
      const pushed = await pushImage(client, image, standinDigest(image));
      log(pushed === "unserved" ? `image ${image}: not pushed, this sandbox has no registry image hook` : `image ${image}: pushed`);
    }

    const descriptor: SandboxDescriptor = SandboxDescriptorSchema.parse({
      format: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      dataDir: opts.dataDir,
      apiUrl: sandbox.url,
      scaleway: { ...creds.scaleway, region: REGION, zone: ZONE },
      s3: { ...s3Info, stateBucket: STATE_BUCKET },
      statePassphrase: creds.statePassphrase,
      appSecrets: creds.appSecrets,
      images: { ...DEFAULT_IMAGES },
      environmentProject: project,
    });
    // Removed first when stopping: no client picks up a sandbox that is going away.
    cleanups.push(() => rm(files.descriptor, { force: true }));
    await writePrivateFile(files.descriptor, JSON.stringify(descriptor, null, 2) + "\n");
    log("ready");

    const sig = await stopSignal;
    log(`${sig}: stopping`);
    await cleanup();
    log("stopped");
    return ExitCode.Ok;
  } catch (err) {
    const failure = asFailure(err);
    log(`could not start: ${failure.message}${failure.hint ? ` (${failure.hint})` : ""}`);
    await cleanup();
    await writePrivateFile(files.failure, JSON.stringify(failure) + "\n").catch(() => undefined);
    return failure.exitCode;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.off("SIGHUP", onSignal);
  }
}

/** The asked port (it must be free), else the remembered one when free, else 0 (any). */
async function choosePort(asked: number | undefined, remembered: number | undefined, log: DaemonLog, what: string): Promise<number> {
  if (asked !== undefined && asked !== 0) {
    if (!(await portIsFree(asked))) throw portInUse(asked);
    return asked;
  }
  if (remembered) {
    if (await portIsFree(remembered)) return remembered;
    log(`${what} port ${remembered} of the last start is taken: using another`);
  }
  return what === "S3" ? freePort() : 0;
}

function asFailure(err: unknown): StartFailure {
  if (isEvalapError(err)) return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), exitCode: err.exitCode };
  return {
    code: "sandbox_start_failed",
    message: errorMessage(err),
    hint: "see the sandbox log (`sandbox.log` in the data folder)",
    exitCode: ExitCode.Failure,
  };
}
