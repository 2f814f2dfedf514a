import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import { assertFaithful, formatReport, replayFidelity, type FidelityOptions } from "./cassette-replay.js";

/** The secret key every fidelity replay's sandbox accepts. */
export const FIDELITY_TOKEN = "11111111-2222-4333-8444-555555555555";

export interface SandboxReplay extends Omit<FidelityOptions, "baseUrl" | "token"> {
  /** Prefix of the sandbox's temporary folder. */
  name: string;
  /** The sandbox's options besides its folder and token (readyDelayMs is 50 unless given). */
  sandbox?: Omit<SandboxOptions, "dataDir" | "token">;
  /** Sets on the fresh sandbox what the recording account had before the recordings; may answer more options. */
  prepare?: (sandbox: Sandbox) => Promise<Partial<FidelityOptions> | undefined>;
  /** Lines printed after the report (e.g. the causes of internal errors). */
  notes?: () => string[];
  /** Checks once the sandbox stopped, before its folder goes (e.g. that no server is left). */
  afterStop?: (dataDir: string) => void;
}

/**
 * A fidelity test's body: a fresh sandbox, the services' cassettes replayed on it, the report printed,
 * and a failure on any mismatch; the sandbox and its folder go in every case.
 */
export async function replayOnSandbox(options: SandboxReplay): Promise<void> {
  const { name, sandbox: sandboxOptions, prepare, notes, afterStop, ...replay } = options;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), name));
  try {
    const sandbox = await startSandbox({ readyDelayMs: 50, ...sandboxOptions, dataDir, token: FIDELITY_TOKEN });
    try {
      const more = (await prepare?.(sandbox)) ?? {};
      const report = await replayFidelity({ ...replay, ...more, baseUrl: sandbox.url, token: FIDELITY_TOKEN });
      console.log(formatReport(report));
      const lines = notes?.() ?? [];
      if (lines.length > 0) console.log(lines.join("\n"));
      assertFaithful(report);
    } finally {
      await sandbox.stop();
    }
    afterStop?.(dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
