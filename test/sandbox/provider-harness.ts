import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { startSandbox, type RequestLogEntry, type Sandbox } from "../../src/sandbox/index.js";
import { tofuIn } from "../helpers/project.js";

/**
 * What every provider test (real tofu + the real Scaleway provider on the sandbox) sets up the same
 * way: one account, a sandbox on a temporary folder that can be restarted on the same state, tofu
 * run in a root of that folder with the provider's environment, and the log of every request.
 */
export const TOKEN = "3f0a4c47-0b5e-4a6e-9d36-6f1a9e3b2c11";
export const ORG = "1b6c1e64-5b0e-4f93-8a1d-2f6e7c0d9a45";
export const PROJECT = "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43";

export interface TofuRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The command, its exit code and both streams: the message of a failed expectation. */
  output: string;
}

/** tofu in one root under the work folder. */
export interface TofuRoot {
  readonly dir: string;
  tofu: (...args: string[]) => Promise<TofuRun>;
  /** tofu that must exit 0. */
  ok: (...args: string[]) => Promise<TofuRun>;
  /** The root's outputs, by name. */
  outputs: () => Promise<Record<string, unknown>>;
  /** `plan -detailed-exitcode` exits 0: nothing to change. */
  noDrift: (...vars: string[]) => Promise<void>;
}

export interface ProviderHarness {
  readonly work: string;
  readonly dataDir: string;
  /** The running sandbox's base URL. */
  readonly url: string;
  /** Every request the sandbox answered, in order. */
  readonly calls: RequestLogEntry[];
  /** Creates the work folder and starts the sandbox (a `beforeAll`). */
  start(): Promise<void>;
  /** Starts a new sandbox on the same folder (after `stop`). */
  /** Starts a sandbox on the folder: on `port` when given, else on a free one. */
  boot(port?: number): Promise<void>;
  stop(): Promise<void>;
  /** stop + boot on the same port: a new sandbox must find the state on disk. */
  restart(): Promise<void>;
  /** Stops the sandbox and removes the work folder (an `afterAll`). */
  cleanup(): Promise<void>;
  root(name?: string): TofuRoot;
  /** A request to the sandbox with the account's token. */
  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** The sandbox's resource counts per collection. */
  counts(): Promise<Record<string, number>>;
  /** Logs the endpoints called, and fails on a call to an unserved route or a 5xx. */
  expectAllServed(): void;
}

export function providerHarness(opts: { prefix: string; readyDelayMs?: number }): ProviderHarness {
  let sandbox: Sandbox | undefined;
  let work = "";
  const calls: RequestLogEntry[] = [];
  const env: Record<string, string> = {
    SCW_ACCESS_KEY: "SCWSANDBOX0000000000",
    SCW_SECRET_KEY: TOKEN,
    SCW_DEFAULT_ORGANIZATION_ID: ORG,
    SCW_DEFAULT_PROJECT_ID: PROJECT,
    SCW_DEFAULT_REGION: "fr-par",
    SCW_DEFAULT_ZONE: "fr-par-1",
  };
  const dataDir = () => path.join(work, "data");
  const url = () => {
    if (!sandbox) throw new Error("the sandbox is not running");
    return sandbox.url;
  };

  const h: ProviderHarness = {
    get work() {
      return work;
    },
    get dataDir() {
      return dataDir();
    },
    get url() {
      return url();
    },
    calls,
    async start() {
      work = await mkdtemp(path.join(os.tmpdir(), opts.prefix));
      await h.boot();
    },
    async boot(port?: number) {
      sandbox = await startSandbox({
        dataDir: dataDir(),
        ...(port === undefined ? {} : { port }),
        token: TOKEN,
        account: { organizationId: ORG, defaultProjectId: PROJECT },
        ...(opts.readyDelayMs === undefined ? {} : { readyDelayMs: opts.readyDelayMs }),
        onRequest: (entry) => calls.push(entry),
      });
      env.SCW_API_URL = sandbox.url;
    },
    async stop() {
      const s = sandbox;
      sandbox = undefined;
      await s?.stop();
    },
    async restart() {
      // On its port, as the daemon restarts (README, "Sandbox"): the data sources' URLs, which the sandbox serves under its own, stay the same.
      const port = Number(new URL(url()).port);
      await h.stop();
      await h.boot(port);
    },
    async cleanup() {
      await h.stop();
      if (work) await rm(work, { recursive: true, force: true });
    },
    root(name = "root") {
      const dir = () => path.join(work, name);
      const r: TofuRoot = {
        get dir() {
          return dir();
        },
        tofu: async (...args) => {
          const run = await tofuIn(dir(), [...args, "-no-color"], env);
          return { ...run, output: `tofu ${args.join(" ")} exited ${run.exitCode}\n${run.stdout}\n${run.stderr}` };
        },
        ok: async (...args) => {
          const run = await r.tofu(...args);
          expect(run.exitCode, run.output).toBe(0);
          return run;
        },
        outputs: async () => {
          const run = await tofuIn(dir(), ["output", "-json"], env);
          const all = JSON.parse(run.stdout) as Record<string, { value: unknown }>;
          return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
        },
        noDrift: async (...vars) => {
          await r.ok("plan", "-detailed-exitcode", "-input=false", ...vars);
        },
      };
      return r;
    },
    fetch(pathAndQuery, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("X-Auth-Token", TOKEN);
      return fetch(`${url()}${pathAndQuery}`, { ...init, headers });
    },
    async counts() {
      const res = await h.fetch("/_sandbox/resources");
      expect(res.status, "GET /_sandbox/resources").toBe(200);
      return ((await res.json()) as { counts: Record<string, number> }).counts;
    },
    expectAllServed() {
      const endpoints = [
        ...new Set(calls.map((c) => `${c.method} ${c.url.replace(/[0-9a-f-]{36}/g, "{id}").replace(/\?.*/, "")} ${c.status}`)),
      ];
      console.log(`provider calls: ${calls.length}\n  ${endpoints.sort().join("\n  ")}`);
      expect(calls.filter((c) => c.error === "route" || c.status >= 500)).toEqual([]);
    },
  };
  return h;
}
