import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { imageSource, materializeImage } from "./image.js";

/** What a deployed container runs as: the stand-in program with the container's environment. */
export interface InstanceSpec {
  containerId: string;
  /** Changes on every deploy: an outcome is only taken for the deploy it belongs to. */
  generation: string;
  image: string;
  /** The container's declared port (PORT in its environment, as Scaleway sets it). */
  port: number;
  /** Where the stand-in listens on 127.0.0.1 (the container's public endpoint). */
  listenPort: number;
  healthPath: string;
  env: Record<string, string>;
  secretKeys: string[];
  /** The container's command and args: EvalAP's supervisord (or none) runs the stand-in, a python3 command runs for real. */
  command: string[];
  args: string[];
  /** After this long without an answer on healthPath, the deploy is failed. */
  startupBudgetMs: number;
}

export type Outcome = { generation: string; status: "ready" } | { generation: string; status: "error"; message: string };

interface Instance {
  spec: InstanceSpec;
  child: ChildProcess;
  exited: Promise<void>;
  settled: boolean;
  /** Resolves once the deploy's outcome is known (or the instance is stopped). */
  done: Promise<void>;
  markDone: () => void;
}

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
 * The stand-in processes, one per deployed container. A deploy's outcome (ready: the health path
 * answers; error: the process exited, or nothing answered within the startup budget) is reported
 * once through `report`, which the API stores in the container's record.
 */
export class ContainerRuntime {
  private readonly instances = new Map<string, Instance>();

  constructor(
    private readonly logDir: string,
    /** Where the images' files are laid out (image.ts), one folder per tag. */
    private readonly dataDir: string,
    private readonly report: (containerId: string, outcome: Outcome) => void,
  ) {}

  has(containerId: string, generation: string): boolean {
    return this.instances.get(containerId)?.spec.generation === generation;
  }

  /** Replaces whatever runs for the container with a new stand-in. */
  async start(spec: InstanceSpec): Promise<void> {
    await this.stop(spec.containerId);
    await mkdir(this.logDir, { recursive: true });
    const logFile = await open(path.join(this.logDir, `${spec.containerId}.log`), "a", 0o600);
    let child: ChildProcess;
    try {
      child = await this.spawnFor(spec, logFile.fd);
    } catch (err) {
      await logFile.close();
      throw err;
    }
    let markDone = () => undefined as void;
    const done = new Promise<void>((resolve) => (markDone = resolve));
    const instance: Instance = {
      spec,
      child,
      settled: false,
      exited: new Promise<void>((resolve) => child.once("exit", () => resolve())),
      done,
      markDone,
    };
    void instance.exited.finally(() => void logFile.close().catch(() => undefined));
    this.instances.set(spec.containerId, instance);
    child.once("exit", (code, signal) => {
      if (this.instances.get(spec.containerId) === instance) this.instances.delete(spec.containerId);
      this.settle(instance, {
        generation: spec.generation,
        status: "error",
        message: `Container is unable to start OR is not listening on port ${spec.port} (exited with ${signal ?? `status ${code}`})`,
      });
    });
    void this.probe(instance);
  }

  /**
   * EvalAP's supervisord (or no command: the image's default) is the stand-in program. Any other
   * command runs for real in the image's files (image.ts), as the container would run it: only
   * `python3 …` (the migration runner), with Debian's /usr/bin/python3 (python3-alembic and
   * python3-psycopg2, installed by scripts/system-deps.sh), never a python of the PATH. PORT is
   * where it must listen (Scaleway sets the container's port; here the endpoint's port, the same
   * thing seen from outside), on 127.0.0.1 (RUNNER_BIND_ADDRESS).
   */
  private async spawnFor(spec: InstanceSpec, fd: number): Promise<ChildProcess> {
    const program = spec.command[0];
    if (program === undefined || path.basename(program) === "supervisord") {
      return spawn(process.execPath, [standinPath()], {
        env: {
          ...spec.env,
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          PORT: String(spec.port),
          EVALAP_STANDIN_LISTEN_PORT: String(spec.listenPort),
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
        PORT: String(spec.listenPort),
        RUNNER_BIND_ADDRESS: "127.0.0.1",
        PYTHONDONTWRITEBYTECODE: "1",
        PYTHONUNBUFFERED: "1",
      },
      stdio: ["ignore", fd, fd],
    });
  }

  private settle(instance: Instance, outcome: Outcome): void {
    if (instance.settled) return;
    instance.settled = true;
    instance.markDone();
    this.report(instance.spec.containerId, outcome);
  }

  /** The startup probe: the health path answering at all (any status) means the app listens. */
  private async probe(instance: Instance): Promise<void> {
    const { spec } = instance;
    const deadline = Date.now() + spec.startupBudgetMs;
    const url = `http://127.0.0.1:${spec.listenPort}${spec.healthPath}`;
    while (!instance.settled && Date.now() < deadline) {
      try {
        // Answered means listening; a -slow stand-in is ready even though it answers late.
        await fetch(url, { signal: AbortSignal.timeout(2000) });
        return this.settle(instance, { generation: spec.generation, status: "ready" });
      } catch (err) {
        if (err instanceof Error && err.name === "TimeoutError")
          return this.settle(instance, { generation: spec.generation, status: "ready" });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (instance.settled) return;
    this.settle(instance, {
      generation: spec.generation,
      status: "error",
      message: `Container is unable to start OR does not respond to HTTP requests on port ${spec.port} and path ${spec.healthPath}`,
    });
    // Scaleway stops a revision that never became ready.
    instance.child.kill("SIGKILL");
  }

  async stop(containerId: string): Promise<void> {
    const instance = this.instances.get(containerId);
    if (!instance) return;
    this.instances.delete(containerId);
    instance.settled = true; // a stop is not a failure of the deploy
    instance.markDone();
    instance.child.kill("SIGTERM");
    const killer = setTimeout(() => instance.child.kill("SIGKILL"), 3000);
    await instance.exited;
    clearTimeout(killer);
  }

  /** Resolves once the container's current deploy is ready or failed. */
  async settled(containerId: string): Promise<void> {
    await this.instances.get(containerId)?.done;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.instances.keys()].map((id) => this.stop(id)));
  }

  /** The pid of a container's stand-in (tests check it is gone after a delete). */
  pid(containerId: string): number | undefined {
    return this.instances.get(containerId)?.child.pid;
  }
}
