import { spawn, type ChildProcess } from "node:child_process";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { processIsGone } from "../lock/holder.js";

/**
 * One provider process for a run's tofu commands (plan, show, apply). tofu starts every provider
 * anew for each command, which costs most of a small plan or apply. A provider started in
 * go-plugin's debug mode prints a reattach address instead of waiting for tofu to start it; with
 * that address in TF_REATTACH_PROVIDERS, tofu talks to the running process (as
 * terraform-plugin-testing does for its steps). Only the exact binary tofu installed and verified
 * at init is started, and only for providers known to support it; anything unexpected means
 * "let tofu start its providers", never a failed run.
 */

/** Provider sources (namespace/name) that can serve in debug mode, with the flag that asks for it. */
export const DEBUGGABLE_PROVIDERS: Readonly<Record<string, string>> = {
  "scaleway/scaleway": "-debuggable",
};

export interface ReusedProvider {
  /** Its address as tofu names it: registry.opentofu.org/scaleway/scaleway. */
  address: string;
  binary: string;
  /** Pid of the provider process (its watchdog shell is its parent). */
  pid: number;
}

export interface ProviderReuse {
  readonly providers: readonly ReusedProvider[];
  /** TF_REATTACH_PROVIDERS while every provider still runs; empty once one has stopped (tofu then starts its own). */
  env(): Record<string, string>;
  /** Stops the providers and waits for them to exit; idempotent. Call it after tofu has stopped. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Environment of the provider: the one tofu would give it (credentials are read by the provider itself). */
  env: Record<string, string | undefined>;
  /** How long a provider may take to print its reattach line. */
  timeoutMs?: number;
  /** Why a provider was not started, for the debug log. */
  onSkip?: (reason: string) => void;
}

/** A provider installed in the root's .terraform/providers, as the lock file pins it. */
export interface InstalledProvider {
  address: string;
  source: string;
  binary: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** How long a provider may take to exit after it was asked to (SIGINT); then its group is killed. */
const STOP_GRACE_MS = 3_000;

/**
 * Starts the reusable providers of an initialised root; null when there is none to start (each
 * reason goes to onSkip). Never throws: a provider that fails to start is stopped and left to tofu.
 */
export async function startProviders(rootDir: string, opts: StartOptions): Promise<ProviderReuse | null> {
  const skip = (reason: string) => opts.onSkip?.(reason);
  const aliased = await aliasedConfiguration(rootDir);
  if (aliased !== null) {
    // One process serves every configuration of its provider: two aliases would share one configure.
    skip(`${aliased} configures a provider alias; tofu starts its providers itself`);
    return null;
  }
  const installed = await installedProviders(rootDir, skip);
  const candidates = installed.filter((p) => DEBUGGABLE_PROVIDERS[p.source] !== undefined);
  for (const p of installed) if (!candidates.includes(p)) skip(`${p.address} is not known to support reattaching`);
  const started = await Promise.all(
    candidates.map((p) =>
      startOne(p, DEBUGGABLE_PROVIDERS[p.source] ?? "", rootDir, opts).catch((err: unknown) => {
        skip(`${p.address}: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      }),
    ),
  );
  const running = started.filter((s): s is Running => s !== null);
  if (running.length === 0) return null;
  const reattach = Object.fromEntries(running.map((r) => [r.provider.address, r.reattach]));
  const value = JSON.stringify(reattach);
  let stopping: Promise<void> | undefined;
  return {
    providers: running.map((r) => ({ address: r.provider.address, binary: r.provider.binary, pid: r.pid })),
    env: (): Record<string, string> => (running.every((r) => r.alive()) ? { TF_REATTACH_PROVIDERS: value } : {}),
    stop: () => (stopping ??= Promise.all(running.map((r) => r.stop())).then(() => undefined)),
  };
}

/**
 * The providers pinned in .terraform.lock.hcl and installed under .terraform/providers for this
 * platform: the binaries tofu checked against the lock file's hashes at init.
 */
export async function installedProviders(rootDir: string, onSkip?: (reason: string) => void): Promise<InstalledProvider[]> {
  const lock = await readFile(path.join(rootDir, ".terraform.lock.hcl"), "utf8").catch(() => null);
  if (lock === null) {
    onSkip?.("no .terraform.lock.hcl in the root");
    return [];
  }
  const platform = `${goOs()}_${goArch()}`;
  const found: InstalledProvider[] = [];
  for (const { address, version } of lockedProviders(lock)) {
    const parts = address.split("/");
    if (parts.length !== 3) continue;
    const dir = path.join(rootDir, ".terraform", "providers", ...parts, version, platform);
    const name = `terraform-provider-${parts[2] ?? ""}`;
    const files = await readdir(dir).catch(() => null);
    // tofu runs the one executable named terraform-provider-<name>[_v<version>] in that directory.
    const file = files?.find((f) => f === name || f.startsWith(`${name}_`));
    const binary = file === undefined ? null : await executable(path.join(dir, file));
    if (binary === null) {
      onSkip?.(`${address} ${version} is not installed in ${path.relative(rootDir, dir)}`);
      continue;
    }
    found.push({ address, source: parts.slice(1).join("/"), binary });
  }
  return found;
}

/** provider "<address>" { version = "<v>" ... } blocks of a dependency lock file. */
export function lockedProviders(lock: string): Array<{ address: string; version: string }> {
  const out: Array<{ address: string; version: string }> = [];
  const block = /^provider\s+"([^"]+)"\s*\{([\s\S]*?)^\}/gm;
  for (const m of lock.matchAll(block)) {
    const version = /^\s*version\s*=\s*"([^"]+)"/m.exec(m[2] ?? "")?.[1];
    if (m[1] !== undefined && version !== undefined) out.push({ address: m[1], version });
  }
  return out;
}

/**
 * The reattach configuration in a provider's debug-mode output. The provider names itself by its
 * registry.terraform.io address; the caller files it under the address tofu looks it up by.
 */
export function parseReattachLine(output: string): Record<string, unknown> | null {
  const m = /TF_REATTACH_PROVIDERS='(\{.*\})'/.exec(output);
  if (!m?.[1]) return null;
  try {
    const parsed: unknown = JSON.parse(m[1]);
    if (typeof parsed !== "object" || parsed === null) return null;
    const entries = Object.values(parsed as Record<string, unknown>);
    const config = entries[0];
    if (entries.length !== 1 || typeof config !== "object" || config === null) return null;
    return typeof (config as { Pid?: unknown }).Pid === "number" ? (config as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The first file of the root or of its modules that declares a provider alias, or null. */
export async function aliasedConfiguration(rootDir: string): Promise<string | null> {
  const dirs = [rootDir, ...(await moduleDirs(rootDir))];
  for (const dir of dirs) {
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".tf") || f.endsWith(".tf.json"));
    for (const f of files) {
      const text = await readFile(path.join(dir, f), "utf8").catch(() => "");
      const alias = f.endsWith(".json") ? /"alias"\s*:/ : /^\s*alias\s*=/m;
      if (alias.test(text)) return path.relative(rootDir, path.join(dir, f)) || f;
    }
  }
  return null;
}

/** The directories of the root's modules, from the manifest init writes. */
async function moduleDirs(rootDir: string): Promise<string[]> {
  const manifest = await readFile(path.join(rootDir, ".terraform", "modules", "modules.json"), "utf8").catch(() => null);
  if (manifest === null) return [];
  try {
    const parsed = JSON.parse(manifest) as { Modules?: Array<{ Dir?: unknown }> };
    return (parsed.Modules ?? []).flatMap((m) => (typeof m.Dir === "string" ? [path.resolve(rootDir, m.Dir)] : []));
  } catch {
    return [];
  }
}

interface Running {
  provider: InstalledProvider;
  pid: number;
  reattach: Record<string, unknown>;
  alive(): boolean;
  stop(): Promise<void>;
}

/**
 * The watchdog: the provider runs in the background; a reader waits on the shell's stdin (a pipe
 * we hold) and interrupts it when the pipe closes, then kills it if it is still there 5 s later.
 * The shell itself ends with the provider, so an early exit is seen at once.
 */
const WATCHDOG = [
  "exec 3<&0",
  '"$0" "$1" </dev/null & p=$!',
  "{ read _ <&3; kill -INT $p 2>/dev/null || exit 0; i=0",
  "  while [ $i -lt 10 ]; do sleep 0.5; kill -0 $p 2>/dev/null || exit 0; i=$((i+1)); done; kill -KILL $p 2>/dev/null; } &",
  "wait $p",
].join("\n");

/**
 * Starts one provider behind the watchdog: when this process ends in any way (SIGKILL included),
 * the pipe closes and the provider is stopped. The group is detached so a Ctrl-C at the terminal
 * does not reach the provider while tofu still talks to it; we stop it ourselves after tofu.
 */
async function startOne(provider: InstalledProvider, flag: string, rootDir: string, opts: StartOptions): Promise<Running> {
  const child = spawn("/bin/sh", ["-c", WATCHDOG, provider.binary, flag], {
    cwd: rootDir,
    env: opts.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", () => {
      exited = true;
      resolve();
    });
  });
  // The provider logs on both streams: keep reading them (a Go program writing to a closed pipe
  // dies of SIGPIPE) and keep nothing but the reattach line: its logs may hold secrets.
  child.stderr?.resume();
  // A watchdog already gone makes closing its stdin fail with EPIPE: nothing to do about it then.
  for (const s of [child.stdin, child.stdout, child.stderr]) s?.on("error", () => undefined);
  // Whatever happens to the run, this process may exit with the provider still running: the watchdog then stops it.
  const onExit = () => killGroup(child, "SIGINT");
  process.once("exit", onExit);
  const stop = async (): Promise<void> => {
    // Ends the watchdog's read: it interrupts the provider (and ends itself once it is gone).
    child.stdin?.end();
    if (!exited) {
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        killGroup(child, "SIGKILL");
      }, STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
      // Killed with its shell, the provider is reaped by init a moment later: wait for that.
      if (killed && providerPid !== undefined) await gone(providerPid, 1_000);
    }
    process.off("exit", onExit);
  };
  let providerPid: number | undefined;
  try {
    const reattach = await reattachOf(child, exit, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const pid = Number(reattach.Pid);
    providerPid = pid;
    // Nothing of this process may keep the CLI alive; stop() is what ends it (or our exit, through the watchdog).
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as { unref?: () => void } | null)?.unref?.();
    child.unref();
    return { provider, pid, reattach, alive: () => !exited, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function reattachOf(child: ChildProcess, exit: Promise<void>, timeoutMs: number): Promise<Record<string, unknown>> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error("started without its output stream");
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => done(new Error(`no reattach address within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      if (text.length > 64 * 1024) return;
      text += chunk.toString("utf8");
      const line = text.split("\n").find((l) => l.includes("TF_REATTACH_PROVIDERS="));
      const config = line === undefined ? null : parseReattachLine(line);
      if (config !== null) done(null, config);
      else if (line !== undefined) done(new Error("its reattach line could not be read"));
    };
    let settled = false;
    const done = (err: Error | null, config?: Record<string, unknown>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Keep draining stdout (see startOne), without keeping any of it.
      stdout.off("data", onData);
      stdout.resume();
      if (err !== null || config === undefined) reject(err ?? new Error("no reattach address"));
      else resolve(config);
    };
    stdout.on("data", onData);
    void exit.then(() => done(new Error("it exited before printing its reattach address")));
  });
}

async function gone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !processIsGone(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function executable(file: string): Promise<string | null> {
  const real = await realpath(file).catch(() => null);
  if (real === null) return null;
  const info = await stat(real).catch(() => null);
  return info?.isFile() && (info.mode & 0o111) !== 0 ? file : null;
}

function goOs(): string {
  return process.platform === "win32" ? "windows" : process.platform;
}

function goArch(): string {
  const arch: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" };
  return arch[process.arch] ?? process.arch;
}
