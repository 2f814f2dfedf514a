/**
 * The fault matrix's shared parts: a project on the `faults` fixture whose state, lease and ledger
 * live on a real versitygw (optionally behind the fault proxy), the checks every case ends with,
 * and the matrix each file prints when it is done.
 *
 * Every case asserts, besides its own exit code:
 * - no two applies on the state overlapped (the fixture's provisioner traces each apply interval);
 * - nothing lost: the state holds the service every finished apply created, and what it runs
 *   agrees with the ledger's newest healthy release (or the case says why it cannot yet);
 * - the next ordinary run succeeds, or stops saying exactly what to do.
 */
import { execa, type ResultPromise } from "execa";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, expect } from "vitest";
import { CLI, eventOf, makeProject, tofuIn, toRun, type CliRun, type TestProject } from "../helpers/project.js";
import { FAST, remoteEnvironment, s3Credentials, startService, type FakeService } from "../helpers/services.js";
import type { S3Server } from "../support/s3-server.js";

export interface Interval {
  start: bigint;
  end: bigint;
  image: string;
}

export interface FaultProject extends TestProject {
  root: string;
  trace: string;
  cli(args: string[], env?: Record<string, string>): Promise<CliRun>;
}

export interface FaultProjectOptions {
  s3: S3Server;
  /** Shared by projects that stand for two machines deploying one environment. */
  prefix: string;
  applySeconds?: number;
  /** The endpoint the CLI's own S3 client uses (a fault proxy); tofu's backend uses `tofuEndpoint`. */
  cliEndpoint?: string;
  tofuEndpoint?: string;
  /** Extra `-backend-config` pairs for tofu's s3 backend (e.g. `max_retries: "1"` against a stopped server). */
  backendConfig?: Record<string, string>;
  /** Trace file shared by the projects of one state (default: one per project). */
  trace?: string;
  config?: Record<string, unknown>;
}

/** A project on the `faults` fixture: state at <prefix>/staging.tfstate, ledger at <prefix>/evalap-infra/staging. */
export async function faultProject(opts: FaultProjectOptions): Promise<FaultProject> {
  const env = remoteEnvironment(opts.s3, `${opts.prefix}/staging.tfstate`);
  const backendConfig = { ...(env.backendConfig as Record<string, string>) };
  if (opts.tofuEndpoint) backendConfig.endpoints = `{s3="${opts.tofuEndpoint}"}`;
  Object.assign(backendConfig, opts.backendConfig);
  const remote = {
    ...(env.remote as Record<string, string>),
    prefix: `${opts.prefix}/evalap-infra/staging`,
    ...(opts.cliEndpoint ? { endpoint: opts.cliEndpoint } : {}),
  };
  const p = await makeProject({
    environments: { staging: { fixture: "faults", vars: { apply_seconds: opts.applySeconds ?? 0 }, extra: { backendConfig, remote } } },
    config: { ...FAST, ...opts.config },
  });
  const trace = opts.trace ?? path.join(p.dir, "applies.trace");
  // The trace file is a run-level variable of the environment, absolute, so two projects can share one.
  const configFile = path.join(p.dir, "evalap-infra.json");
  const config = JSON.parse(await readFile(configFile, "utf8")) as { environments: { staging: { vars: Record<string, unknown> } } };
  config.environments.staging.vars.trace_file = trace;
  const { writeFile } = await import("node:fs/promises");
  await writeFile(configFile, JSON.stringify(config, null, 2));
  return {
    ...p,
    root: path.join(p.dir, "infra", "staging"),
    trace,
    cli: (args, extra) => p.run(args, { env: { ...s3Credentials(opts.s3), ...extra } }),
  };
}

/** The apply intervals traced by the fixture (an apply cut short has no end: it counts to now). */
export async function intervals(trace: string): Promise<Interval[]> {
  const text = await readFile(trace, "utf8").catch(() => "");
  const open = new Map<string, bigint>();
  const out: Interval[] = [];
  for (const line of text.split("\n")) {
    const [kind, ns, image = ""] = line.trim().split(" ");
    if (!kind || !ns) continue;
    if (kind === "start") open.set(image, BigInt(ns));
    if (kind === "end") {
      out.push({ start: open.get(image) ?? BigInt(ns), end: BigInt(ns), image });
      open.delete(image);
    }
  }
  const now = BigInt(Date.now()) * 1_000_000n;
  for (const [image, start] of open) out.push({ start, end: now, image });
  return out.sort((a, b) => (a.start < b.start ? -1 : 1));
}

/** True when no two traced applies overlapped in time. */
export function noOverlap(list: Interval[]): boolean {
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1];
    const cur = list[i];
    if (prev && cur && cur.start < prev.end) return false;
  }
  return true;
}

export interface LedgerRow {
  id: string;
  kind: string;
  status: string;
  images: Record<string, string>;
  abandoned: boolean;
  rollbackOf?: string;
  rolledBackTo?: string;
  statusReason?: string;
  /** Who ran the release (EVALAP_ACTOR in these tests). */
  actor?: string;
}

export async function releases(p: FaultProject): Promise<LedgerRow[]> {
  const run = await p.cli(["releases", "list", "staging", "--json"]);
  expect(run.exitCode, run.stderr + run.stdout).toBe(0);
  return eventOf(run, "data").data as LedgerRow[];
}

/** The service URL the state says runs now (tofu output, read as an operator would). */
export async function deployedImage(p: FaultProject, s3: S3Server): Promise<string | null> {
  const out = await tofuWithCredentials(p.root, s3, ["output", "-json", "services"]);
  if (out.exitCode !== 0) throw new Error(`tofu output failed: ${out.stderr}`);
  const services = JSON.parse(out.stdout || "{}") as Record<string, { url?: string }>;
  return services.api?.url ?? null;
}

/** Addresses in the state. */
export async function stateList(p: FaultProject, s3: S3Server): Promise<string[]> {
  const out = await tofuWithCredentials(p.root, s3, ["state", "list"]);
  if (out.exitCode !== 0) throw new Error(`tofu state list failed: ${out.stderr}`);
  return out.stdout.split("\n").filter((l) => l.trim().length > 0);
}

function tofuWithCredentials(dir: string, s3: S3Server, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return tofuIn(dir, args, s3Credentials(s3));
}

/**
 * Nothing lost: what the state runs is the newest healthy release's image, and every traced apply
 * that finished is of an image some release recorded.
 */
export async function stateAgreesWithLedger(p: FaultProject, s3: S3Server): Promise<boolean> {
  const list = await releases(p);
  const healthy = list.find((r) => r.status === "healthy");
  const running = await deployedImage(p, s3);
  return healthy !== undefined && running === healthy.images.api;
}

export function asRun(r: { exitCode?: number; stdout: unknown; stderr: unknown }): CliRun {
  return toRun(r.exitCode ?? -1, String(r.stdout), String(r.stderr));
}

export async function healthyService(services: FakeService[], status = 200): Promise<FakeService> {
  const s = await startService(status);
  services.push(s);
  return s;
}

/** One row of the printed matrix. */
export interface MatrixRow {
  fault: string;
  outcome: string;
  overlap: boolean;
  nothingLost: boolean;
  /** Set when the case cannot run on this machine: the row says why and claims nothing. */
  notRun?: string;
}

/** Collects the rows of one file and prints them as a table once its cases ran. */
export function faultMatrix(title: string): (row: MatrixRow) => void {
  const rows: MatrixRow[] = [];
  afterAll(() => {
    const header = ["fault", "outcome", "applies overlapped", "nothing lost"];
    const body = rows.map((r) =>
      r.notRun !== undefined ? [r.fault, r.notRun, "-", "-"] : [r.fault, r.outcome, r.overlap ? "YES" : "no", r.nothingLost ? "yes" : "NO"],
    );
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
    const table = [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
    console.log(`\nFault matrix: ${title}\n${table}\n`);
  });
  return (row) => rows.push(row);
}

/** How a CLI started by startCli runs: extra environment, and a skewed wall clock. */
export interface StartOptions {
  env?: Record<string, string>;
  /**
   * A libfaketime offset ("+2m", "-2m") for this CLI's wall clock only: FAKETIME_ONLY_CMDS keeps it off
   * tofu's children (the fixture's `date` writes the trace), DONT_FAKE_MONOTONIC keeps performance.now()
   * true. faketime forks, so the child's pid is then faketime's, not node's: do not signal it.
   */
  clock?: string;
}

/** How startCli and startTofu run a process: never rejects, no stdin. */
type SpawnOptions = { cwd: string; env: Record<string, string>; extendEnv: true; reject: false; stdin: "ignore" };
/** A running CLI or tofu; awaiting it gives its result. */
export type Running = ResultPromise<SpawnOptions>;

function spawnOptions(cwd: string, env: Record<string, string>): SpawnOptions {
  return { cwd, env, extendEnv: true, reject: false, stdin: "ignore" };
}

/** Starts the CLI of a fault project with the bucket's credentials; the result is the running process. */
export function startCli(p: FaultProject, s3: S3Server, args: string[], opts: StartOptions = {}): Running {
  const env = { NO_COLOR: "1", ...s3Credentials(s3), ...opts.env };
  if (opts.clock === undefined) return execa("node", [CLI, ...args], spawnOptions(p.dir, env));
  const faked = { ...env, DONT_FAKE_MONOTONIC: "1", FAKETIME_DONT_FAKE_MONOTONIC: "1", FAKETIME_ONLY_CMDS: "node" };
  return execa("faketime", ["-f", opts.clock, "node", CLI, ...args], spawnOptions(p.dir, faked));
}

/** A plain tofu (as typed in another shell) running in a root with the bucket's credentials. */
export function startTofu(dir: string, s3: S3Server, args: string[]): Running {
  const home = path.join(os.homedir(), ".cache", "evalap-infra", "toolchain");
  const toolchain = process.env.EVALAP_TOOLCHAIN_DIR ?? home;
  const bin = process.env.EVALAP_TOFU_BIN ?? path.join(toolchain, "bin", "tofu");
  const env = {
    ...s3Credentials(s3),
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    NO_COLOR: "1",
    TF_CLI_CONFIG_FILE: path.join(toolchain, "tofurc"),
  };
  return execa(bin, args, spawnOptions(dir, env));
}

/** The images of the traced applies that finished (wrote their end line), in order. */
export async function finishedImages(trace: string): Promise<string[]> {
  const text = await readFile(trace, "utf8").catch(() => "");
  return text
    .split("\n")
    .map((l) => l.trim().split(" "))
    .filter(([kind, ns, image]) => kind === "end" && ns !== undefined && image !== undefined)
    .map(([, , image]) => image ?? "");
}

/** Resolves when the trace holds a start line for `image` (the apply runs, under tofu's state lock). */
export async function traceStarted(trace: string, image: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(trace, "utf8").catch(() => "");
    if (text.split("\n").some((l) => l.startsWith("start ") && l.trim().endsWith(` ${image}`))) return;
    if (Date.now() > deadline) throw new Error(`no apply of ${image} started within ${timeoutMs}ms; trace:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Nothing lost, both halves: the state runs the newest healthy release's image, and every traced apply
 * that finished is of an image some release recorded (`outsideLedger`: applies made without the tool).
 */
export async function nothingLost(p: FaultProject, s3: S3Server, outsideLedger: string[] = []): Promise<boolean> {
  if (!(await stateAgreesWithLedger(p, s3))) return false;
  const recorded = new Set((await releases(p)).flatMap((r) => Object.values(r.images)));
  return (await finishedImages(p.trace)).every((image) => recorded.has(image) || outsideLedger.includes(image));
}
