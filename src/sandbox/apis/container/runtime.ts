import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../ports.js";
import { imageSource, materializeImage } from "./image.js";
import { portHolder } from "./listeners.js";
import { EndpointProxy, type Upstream } from "./proxy.js";

/** What a deployed container runs as: the stand-in program with the container's environment. */
export interface InstanceSpec {
  containerId: string;
  /** Changes on every deploy: an outcome is only taken for the deploy it belongs to. */
  generation: string;
  image: string;
  /** The container's declared port (PORT in its environment, as Scaleway sets it). */
  port: number;
  /** The container's public endpoint on 127.0.0.1 (the proxy's port; each revision listens on its own). */
  listenPort: number;
  healthPath: string;
  env: Record<string, string>;
  secretKeys: string[];
  /** The container's command and args: EvalAP's supervisord (or none) runs the stand-in, a python3 command runs for real. */
  command: string[];
  args: string[];
  /** privacy = private: the endpoint wants X-Auth-Token with a key the sandbox accepts. */
  private: boolean;
  /** After this long without an answer on healthPath, the deploy is failed. */
  startupBudgetMs: number;
}

export type Outcome = { generation: string; status: "ready" } | { generation: string; status: "error"; message: string };

/** One deploy's stand-in process, on an internal port of its own. */
interface Revision {
  spec: InstanceSpec;
  child: ChildProcess;
  exited: Promise<void>;
  upstream: Upstream;
  settled: boolean;
  /** Resolves once the deploy's outcome is known (or the revision is stopped). */
  done: Promise<void>;
  markDone: () => void;
}

/** A container: its public endpoint and the revisions behind it. */
interface Slot {
  proxy: EndpointProxy;
  /** The revision the endpoint sends requests to. */
  current?: Revision;
  /** The deploy being started; it replaces `current` once ready. */
  pending?: Revision;
  /** Every process not yet exited: current, pending, and the retiring ones finishing their requests. */
  running: Set<Revision>;
}

/** How long a replaced revision may take to finish its in-flight requests before it is stopped anyway. */
const DRAIN_MS = 30_000;

/**
 * How many times a revision whose internal port was taken by another program (listeners.ts) is
 * started again on a new port. On Scaleway each instance has its own network: such a clash is the
 * sandbox's, never the container's, so it must not fail the deploy.
 */
const PORT_CLASH_RESTARTS = 3;

/**
 * Finds the stand-in bundle: EVALAP_SANDBOX_STANDIN, else `standin/main.js` beside (or above) the
 * running bundle, else the repository's `dist/standin/main.js` (tests run the sources after a build).
 */
export function standinPath(): string {
  const override = process.env.EVALAP_SANDBOX_STANDIN;
  if (override) return override;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const candidate of [path.join(dir, "standin", "main.js"), path.join(dir, "dist", "standin", "main.js")]) {
      if (existsSync(candidate)) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error("the EvalAP stand-in (dist/standin/main.js) is not built: run `npm run build` (or set EVALAP_SANDBOX_STANDIN)");
}

function safeStandinPath(): string | undefined {
  try {
    return standinPath();
  } catch {
    return undefined;
  }
}

/**
 * The stand-in processes behind the deployed containers. Each container's public endpoint is a proxy
 * (proxy.ts) owned here; each deploy (a revision) runs its own stand-in on an internal free port, and
 * the endpoint switches to it only once its startup probe answers, as Scaleway's rolling update does
 * (docs-content pages/serverless-containers/concepts.mdx, "Rolling update": the old version serves
 * until the new one is running, then is decommissioned). The replaced revision then gets no new
 * request, finishes those in flight (at most DRAIN_MS) and is stopped. A revision that fails leaves
 * the one before it serving: "in the event of a failed deployment, the previously deployed version
 * of the container will continue to handle incoming requests" (pages/serverless-containers/
 * reference-content/containers-limitations.mdx, "Versioning and rollback"; its 24-hour limit is not
 * emulated). A deploy's outcome (ready, or error: the process exited, or nothing answered within
 * the startup budget) is reported once through `report`, which the API stores in the container's record.
 */
export class ContainerRuntime {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly logDir: string,
    /** Where the images' files are laid out (image.ts), one folder per tag. */
    private readonly dataDir: string,
    /** Whether an API secret key opens the sandbox (private containers' X-Auth-Token). */
    private readonly acceptsKey: (key: string) => boolean,
    private readonly report: (containerId: string, outcome: Outcome) => void,
    /** Chooses a revision's internal port (tests make it clash). */
    private readonly pickPort: () => Promise<number> = () => freePort(),
  ) {}

  has(containerId: string, generation: string): boolean {
    const slot = this.slots.get(containerId);
    return slot?.pending?.spec.generation === generation || slot?.current?.spec.generation === generation;
  }

  /** Starts a new revision for the container; the one serving keeps serving until it is ready. */
  async start(spec: InstanceSpec, attempt = 0): Promise<void> {
    let slot = this.slots.get(spec.containerId);
    if (slot && slot.proxy.port !== spec.listenPort) {
      await this.stop(spec.containerId);
      slot = undefined;
    }
    if (!slot) {
      slot = { proxy: new EndpointProxy(spec.listenPort), running: new Set() };
      this.slots.set(spec.containerId, slot);
      // The endpoint's port is taken now (503 until a revision is ready), not at the first promotion:
      // another program of the machine could take it meanwhile. A failure is retried at the promotion.
      await slot.proxy.listen().catch(() => undefined);
    }
    slot.proxy.guard = spec.private ? (token) => token !== undefined && this.acceptsKey(token) : undefined;
    // A deploy still starting is superseded by this one (Scaleway deploys the latest configuration).
    this.cancelPending(spec.containerId);
    const internalPort = await this.pickPort();
    await mkdir(this.logDir, { recursive: true });
    const logFile = await open(path.join(this.logDir, `${spec.containerId}.log`), "a", 0o600);
    if (this.slots.get(spec.containerId) !== slot) {
      // Stopped (deleted) while this deploy was being prepared: nothing to run, the endpoint closed.
      await logFile.close();
      await slot.proxy.close();
      return;
    }
    let child: ChildProcess;
    try {
      child = await this.spawnFor(spec, internalPort, logFile.fd);
    } catch (err) {
      await logFile.close();
      throw err;
    }
    let markDone = () => undefined as void;
    const done = new Promise<void>((resolve) => (markDone = resolve));
    const rev: Revision = {
      spec,
      child,
      upstream: { port: internalPort, inflight: 0 },
      settled: false,
      exited: new Promise<void>((resolve) => child.once("exit", () => resolve())),
      done,
      markDone,
    };
    void rev.exited.finally(() => void logFile.close().catch(() => undefined));
    const owner = slot;
    this.cancelPending(spec.containerId); // another update may have started one meanwhile
    owner.pending = rev;
    owner.running.add(rev);
    child.once("exit", (code, signal) => {
      owner.running.delete(rev);
      const starting = owner.pending === rev && !rev.settled;
      if (owner.pending === rev) owner.pending = undefined;
      if (owner.current === rev) {
        // It died while serving: nothing answers behind the endpoint any more (502), as a crashed container.
        owner.current = undefined;
        if (owner.proxy.current === rev.upstream) owner.proxy.current = undefined;
      }
      const failed = () =>
        this.settle(rev, {
          generation: spec.generation,
          status: "error",
          message: `Container is unable to start OR is not listening on port ${spec.port} (exited with ${signal ?? `status ${code}`})`,
        });
      if (!starting || attempt >= PORT_CLASH_RESTARTS) return failed();
      // It could not listen because another program took its port meanwhile: the same deploy on another port.
      void portHolder(internalPort).then(async (holder) => {
        if (holder !== "another" || rev.settled || owner.pending !== undefined || this.slots.get(spec.containerId) !== owner) {
          return failed();
        }
        rev.settled = true; // not this deploy's outcome: the new start reports it
        await this.start(spec, attempt + 1).catch((err: unknown) =>
          this.report(spec.containerId, {
            generation: spec.generation,
            status: "error",
            message: err instanceof Error ? err.message : String(err),
          }),
        );
        rev.markDone();
      });
    });
    void this.probe(owner, rev);
  }

  /**
   * EvalAP's supervisord (or no command: the image's default) is the stand-in program. Any other
   * command runs for real in the image's files (image.ts), as the container would run it: only
   * `python3 …` (the migration runner), with Debian's /usr/bin/python3 (python3-alembic and
   * python3-psycopg2, installed by scripts/system-deps.sh), never a python of the PATH. PORT is
   * where it must listen (Scaleway sets the container's port; here the revision's own port behind
   * the endpoint's proxy, the same thing seen from outside), on 127.0.0.1 (RUNNER_BIND_ADDRESS).
   */
  private async spawnFor(spec: InstanceSpec, port: number, fd: number): Promise<ChildProcess> {
    const program = spec.command[0];
    if (program === undefined || path.basename(program) === "supervisord") {
      return spawn(process.execPath, [standinPath()], {
        env: {
          ...spec.env,
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          PORT: String(spec.port),
          EVALAP_STANDIN_LISTEN_PORT: String(port),
          EVALAP_STANDIN_IMAGE: spec.image,
          EVALAP_STANDIN_SECRET_KEYS: spec.secretKeys.join(","),
        },
        stdio: ["ignore", fd, fd],
      });
    }
    if (program !== "python3" && program !== "/usr/bin/python3") {
      throw new Error(`the sandbox's image runs EvalAP's supervisord or a python3 command, not ${program}`);
    }
    const cwd = await materializeImage(this.dataDir, spec.image, imageSource(safeStandinPath()));
    return spawn(process.env.EVALAP_SANDBOX_PYTHON ?? "/usr/bin/python3", [...spec.command.slice(1), ...spec.args], {
      cwd,
      env: {
        ...spec.env,
        PATH: "/usr/bin:/bin",
        PORT: String(port),
        RUNNER_BIND_ADDRESS: "127.0.0.1",
        PYTHONDONTWRITEBYTECODE: "1",
        PYTHONUNBUFFERED: "1",
      },
      stdio: ["ignore", fd, fd],
    });
  }

  private settle(rev: Revision, outcome: Outcome): void {
    if (rev.settled) return;
    rev.settled = true;
    rev.markDone();
    this.report(rev.spec.containerId, outcome);
  }

  /** The startup probe, on the revision's own port: the health path answering at all (any status) means the app listens. */
  private async probe(slot: Slot, rev: Revision): Promise<void> {
    const { spec } = rev;
    const deadline = Date.now() + spec.startupBudgetMs;
    const url = `http://127.0.0.1:${rev.upstream.port}${spec.healthPath}`;
    while (!rev.settled && Date.now() < deadline) {
      let answered: boolean;
      try {
        // Answered means listening; a -slow stand-in is ready even though it answers late.
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        answered = true;
      } catch (err) {
        answered = err instanceof Error && err.name === "TimeoutError";
      }
      // An answer counts only from the revision's own program: another one may have taken the port (listeners.ts).
      if (answered && (await portHolder(rev.upstream.port, rev.child.pid)) !== "another") return this.promote(slot, rev);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (rev.settled) return;
    this.fail(
      slot,
      rev,
      `Container is unable to start OR does not respond to HTTP requests on port ${spec.port} and path ${spec.healthPath}`,
    );
  }

  /** The new revision is ready: the endpoint sends it every new request, and the one it replaces drains. */
  private async promote(slot: Slot, rev: Revision): Promise<void> {
    if (rev.settled || slot.pending !== rev) return;
    try {
      await slot.proxy.listen();
    } catch (err) {
      return this.fail(slot, rev, err instanceof Error ? err.message : String(err));
    }
    // Deleted while the endpoint was being opened: close it again.
    if (this.slots.get(rev.spec.containerId) !== slot) return slot.proxy.close();
    if (rev.settled || slot.pending !== rev) return; // superseded meanwhile
    const old = slot.current;
    slot.pending = undefined;
    slot.current = rev;
    slot.proxy.current = rev.upstream;
    this.settle(rev, { generation: rev.spec.generation, status: "ready" });
    if (old) void this.retire(old);
  }

  /** A failed deploy: reported, its process stopped; the revision serving before (if any) keeps serving. */
  private fail(slot: Slot, rev: Revision, message: string): void {
    if (slot.pending === rev) slot.pending = undefined;
    this.settle(rev, { generation: rev.spec.generation, status: "error", message });
    // Scaleway stops a revision that never became ready.
    rev.child.kill("SIGKILL");
  }

  /** Stops a replaced revision once its in-flight requests are answered (or DRAIN_MS has passed). */
  private async retire(rev: Revision): Promise<void> {
    if (rev.upstream.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DRAIN_MS);
        rev.upstream.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await terminate(rev);
  }

  /** Stops the deploy still starting, if any (superseded: not a failure of it). */
  cancelPending(containerId: string): void {
    const slot = this.slots.get(containerId);
    const rev = slot?.pending;
    if (!slot || !rev) return;
    slot.pending = undefined;
    rev.settled = true;
    rev.markDone();
    void terminate(rev);
  }

  /** Stops the container's endpoint and every process it runs (a delete, or the sandbox's stop). */
  async stop(containerId: string): Promise<void> {
    const slot = this.slots.get(containerId);
    if (!slot) return;
    this.slots.delete(containerId);
    for (const rev of slot.running) {
      rev.settled = true; // a stop is not a failure of the deploy
      rev.markDone();
    }
    slot.pending?.markDone();
    await slot.proxy.close();
    await Promise.all([...slot.running].map((rev) => terminate(rev)));
  }

  /** Resolves once the container's current deploy is ready or failed. */
  async settled(containerId: string): Promise<void> {
    await this.slots.get(containerId)?.pending?.done;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((id) => this.stop(id)));
  }

  /** The pid of the stand-in the container's endpoint serves from, else of the one starting (tests check it is gone after a delete). */
  pid(containerId: string): number | undefined {
    const slot = this.slots.get(containerId);
    return slot?.current?.child.pid ?? slot?.pending?.child.pid;
  }

  /** Every stand-in process the container runs (recorded, so that a next sandbox stops those a killed one left). */
  pids(containerId: string): number[] {
    return [...(this.slots.get(containerId)?.running ?? [])].flatMap((r) => (r.child.pid === undefined ? [] : [r.child.pid]));
  }
}

/** SIGTERM, then SIGKILL after 3 s; resolves once the process has exited. */
async function terminate(rev: Revision): Promise<void> {
  if (rev.child.exitCode !== null || rev.child.signalCode !== null) return;
  rev.child.kill("SIGTERM");
  const killer = setTimeout(() => rev.child.kill("SIGKILL"), 3000);
  await rev.exited;
  clearTimeout(killer);
}
