import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { formatElapsed, HumanReporter, plainColors, Redactor, type Spinner } from "../../src/report/index.js";

/** A spinner that records what ora would draw. */
class FakeSpinner implements Spinner {
  persisted: Array<{ symbol: string; text: string }> = [];
  stopped = false;
  constructor(public text: string) {}
  stopAndPersist(options: { symbol: string; text: string }): void {
    this.persisted.push(options);
    this.stopped = true;
  }
  stop(): void {
    this.stopped = true;
  }
}

function reporter(opts: { spinner: boolean; now: () => number }) {
  const out: string[] = [];
  const err: string[] = [];
  const spinners: FakeSpinner[] = [];
  const human = new HumanReporter(
    new Redactor(),
    {
      colors: plainColors,
      spinner: opts.spinner
        ? (text) => {
            const s = new FakeSpinner(text);
            spinners.push(s);
            return s;
          }
        : null,
      timing: { spinnerTickMs: 10, plainTickMs: 10, now: opts.now },
    },
    (t) => void out.push(t),
    (t) => void err.push(t),
  );
  return { human, out, err, spinners };
}

describe("elapsed time of a running step", () => {
  it("formats whole seconds, minutes and hours", () => {
    expect(formatElapsed(0)).toBe("0s");
    expect(formatElapsed(42_900)).toBe("42s");
    expect(formatElapsed(90_000)).toBe("1m30s");
    expect(formatElapsed(3_905_000)).toBe("1h05m");
  });

  it("on a terminal, the spinner's text shows the elapsed time, also after a resource starts", async () => {
    let now = 1_000_000;
    const { human, spinners } = reporter({ spinner: true, now: () => now });
    human.handle({ type: "step.started", step: "apply" });
    now += 90_000;
    await sleep(40);
    expect(spinners.at(-1)?.text).toBe("apply 1m30s");
    human.handle({ type: "resource.progress", address: "terraform_data.slow", action: "create", phase: "start" });
    expect(spinners.at(-1)?.text).toBe("apply create terraform_data.slow 1m30s");
    now += 2_000;
    await sleep(40);
    expect(spinners.at(-1)?.text).toBe("apply create terraform_data.slow 1m32s");
    // A warning printed meanwhile does not lose the spinner nor its ticking.
    human.handle({ type: "log", level: "warn", message: "slow bucket" });
    now += 1_000;
    await sleep(40);
    expect(spinners.at(-1)?.text).toBe("apply create terraform_data.slow 1m33s");
    human.handle({ type: "step.finished", step: "apply", outcome: "ok", durationMs: 93_000 });
    expect(spinners.at(-1)?.persisted).toEqual([{ symbol: "✔", text: "apply 1m33s" }]);
    human.close();
  });

  it("elsewhere (CI logs), a 'still running' line now and then, and the duration at the end", async () => {
    let now = 0;
    const { human, err } = reporter({ spinner: false, now: () => now });
    human.handle({ type: "step.started", step: "apply" });
    now = 90_000;
    await sleep(35);
    human.handle({ type: "step.finished", step: "apply", outcome: "ok", durationMs: 90_400 });
    const text = err.join("");
    expect(text).toContain("… apply\n");
    expect(text).toContain("… apply: still running, 1m30s\n");
    expect(text).toMatch(/✔ apply 1m30s\n$/);
    // Once the step has finished, nothing ticks any more.
    const lines = err.length;
    await sleep(35);
    expect(err.length).toBe(lines);
  });

  it("symbols are the reporter's own: with plain colours, no escape code at all", () => {
    const { human, spinners } = reporter({ spinner: true, now: () => 0 });
    human.handle({ type: "step.started", step: "plan" });
    human.handle({ type: "step.finished", step: "plan", outcome: "failed", durationMs: 12 });
    expect(spinners[0]?.persisted).toEqual([{ symbol: "✖", text: "plan 12ms" }]);
    human.handle({ type: "step.started", step: "init" });
    human.handle({ type: "step.finished", step: "init", outcome: "skipped", durationMs: 0, detail: "up to date" });
    expect(spinners[1]?.persisted).toEqual([{ symbol: "–", text: "init skipped: up to date" }]);
    human.close();
  });
});
