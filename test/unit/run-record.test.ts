import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { procStartTime } from "../../src/tofu/run-record.js";

describe("procStartTime: what the state-lock proof calls a live process", () => {
  it("a zombie that its parent never reaps counts as gone; its parent counts as alive", async () => {
    // sh starts a child, then becomes `sleep`, which never reaps it: a zombie. The child exits only once
    // its parent is `sleep` (a child exiting earlier could be reaped by sh itself: the test then flaked).
    // (Bounded to 5 s, so that it cannot outlive the test.)
    const child = `read -r _ _ _ p _ < /proc/$$/stat; i=0; while [ $i -lt 500 ] && [ "$(cat /proc/$p/comm)" != sleep ]; do i=$((i+1)); sleep 0.01; done`;
    const parent = spawn("sh", ["-c", `sh -c '${child}' & echo $!; exec sleep 5`], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const zombie = Number(
        await new Promise<string>((resolve) => parent.stdout.once("data", (b: Buffer) => resolve(b.toString().trim()))),
      );
      let state = "";
      for (let i = 0; i < 50 && state !== "Z"; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const { readFile } = await import("node:fs/promises");
        const stat = await readFile(`/proc/${zombie}/stat`, "utf8");
        state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? "";
      }
      expect(state).toBe("Z");
      expect(await procStartTime(zombie)).toBeNull();
      expect(await procStartTime(parent.pid ?? -1)).toEqual(expect.any(Number));
    } finally {
      parent.kill("SIGKILL");
    }
  });
});
