import { access } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CLI, REPO, tofuIn, trackedProjects, type TestProject } from "../helpers/project.js";

// The CLI in a real (pseudo-)terminal, as a user runs it: stdin, stdout and stderr are one TTY,
// so ora draws its spinner, and a typed Ctrl-C is the byte 0x03 that the terminal turns into SIGINT.
const PTY = path.join(REPO, "test", "cli", "pty-run.py");
const SGR = /\x1b\[[0-9;]*m/; // a colour or style escape code

const project = trackedProjects();

interface PtyRun {
  exitCode: number;
  /** Whether Ctrl-C was typed (the trigger appeared). */
  sent: boolean;
  output: string;
  /** When Ctrl-C was typed: the process group the terminal signals, and the CLI's processes. */
  foreground: number | null;
  processes: Array<{ pid: number; pgid: number; command: string }>;
}

/** Runs the CLI in a pseudo-terminal; types Ctrl-C once the output matches `ctrlCAfter` (never with null). */
async function inTerminal(p: TestProject, args: string[], ctrlCAfter: string | null): Promise<PtyRun> {
  const r = await execa("python3", [PTY, JSON.stringify(["node", CLI, ...args]), ctrlCAfter ?? "(?!)", "90"], {
    cwd: p.dir,
    // A user's terminal: no CI (which turns the spinner off), colours allowed.
    env: { TERM: "xterm-256color", CI: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined },
    extendEnv: true,
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(`pty-run failed: ${String(r.stderr)}`);
  return JSON.parse(String(r.stdout)) as PtyRun;
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe("in a terminal", () => {
  it("Ctrl-C during an apply stops the deploy as kill -INT does: forwarded once, locks released, exit 130", async () => {
    const p = await project({ environments: { staging: { fixture: "slow", vars: { seconds: 5 } } } });
    const run = await inTerminal(p, ["deploy", "staging"], "apply create terraform_data\\.slow");
    expect(run.sent, run.output).toBe(true);
    expect(run.exitCode, run.output).toBe(130);
    expect(run.output).toContain("interrupted by SIGINT");
    // The terminal's SIGINT went to the CLI only: tofu, in its own process group, got the one the CLI forwarded.
    const tofu = run.processes.filter((proc) => /\btofu apply\b/.test(proc.command));
    expect(tofu.length, JSON.stringify(run.processes)).toBeGreaterThan(0);
    expect(run.processes.find((proc) => proc.command.includes(CLI))?.pgid).toBe(run.foreground);
    for (const proc of tofu) expect(proc.pgid).not.toBe(run.foreground);
    expect(run.output.match(/SIGINT received/g)).toHaveLength(1);
    expect(run.output).not.toContain("still stopping");
    expect(await exists(path.join(p.dir, ".evalap-infra", "locks", "staging.lock"))).toBe(false);
    // tofu stopped gracefully: the state is readable and not locked.
    const root = path.join(p.dir, "infra", "staging");
    expect(await exists(path.join(root, ".terraform.tfstate.lock.info"))).toBe(false);
    const state = await tofuIn(root, ["state", "list"]);
    expect(state.exitCode, state.stderr).toBe(0);
    // Colours are on by default on a terminal (so the --no-color case below is meaningful).
    expect(run.output).toMatch(SGR);
  });

  it("--no-color: no colour code at all, symbols and spinner included; a running step shows its elapsed time", async () => {
    const p = await project({ environments: { staging: { fixture: "slow", vars: { seconds: 3 } } } });
    const run = await inTerminal(p, ["deploy", "staging", "--no-color"], null);
    expect(run.exitCode, run.output).toBe(0);
    expect(run.output).toContain("✔ deployed staging");
    expect(run.output).not.toMatch(SGR);
    expect(run.output).toMatch(/apply create terraform_data\.slow [12]s/);
  });
});
