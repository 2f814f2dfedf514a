import type { EvalapEvent } from "../events/types.js";
import { formatCostTable } from "../cost/format.js";
import { formatDuration, formatElapsed, formatHolder, formatPlanCounts } from "./format.js";
import type { Redactor } from "./redact.js";
import type { Reporter } from "./reporter.js";

/** What the human reporter needs from chalk and ora, loaded lazily by the caller. */
export interface TtyDeps {
  colors: Colors;
  spinner: ((text: string) => Spinner) | null;
  /** How often a running step shows its elapsed time; tests shorten them. */
  timing?: Partial<Timing>;
}

export interface Timing {
  /** With a spinner: its text gets the elapsed time this often. */
  spinnerTickMs: number;
  /** Without one (CI logs, pipes): a "still running" line this often. */
  plainTickMs: number;
  now: () => number;
}

const DEFAULT_TIMING: Timing = { spinnerTickMs: 1000, plainTickMs: 30_000, now: () => Date.now() };

export interface Colors {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
}

/** The part of ora used: symbols are ours (ora's own ignore --no-color). */
export interface Spinner {
  text: string;
  stopAndPersist(options: { symbol: string; text: string }): void;
  stop(): void;
}

export const plainColors: Colors = {
  green: (s) => s,
  red: (s) => s,
  yellow: (s) => s,
  dim: (s) => s,
  bold: (s) => s,
  cyan: (s) => s,
};

const ACTION_SIGN: Record<string, string> = { create: "+", update: "~", delete: "-", replace: "-/+", read: "<=", forget: "x" };

/**
 * Human output: a spinner per step on a terminal (ora), plain lines elsewhere (CI logs, pipes,
 * NO_COLOR). Progress, warnings and diagnostics go to stderr; what the command produced (listings,
 * outputs, the final line on success) to stdout; a failure's message and hint to stderr. Every
 * string passes the redactor.
 */
export class HumanReporter implements Reporter {
  private spinner: Spinner | null = null;
  /** The step that runs now: its text (without the elapsed time), since when, and its ticker. */
  private running: { text: string; started: number; ticker: NodeJS.Timeout } | null = null;
  /** Resources being applied, oldest first (a Map keeps insertion order): the progress names the oldest. */
  private readonly inFlight = new Map<string, string>();
  private readonly timing: Timing;

  constructor(
    private readonly redactor: Redactor,
    private readonly deps: TtyDeps,
    private readonly out: (text: string) => void = (t) => process.stdout.write(t),
    private readonly err: (text: string) => void = (t) => process.stderr.write(t),
    private readonly verbose = false,
  ) {
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
  }

  handle(event: EvalapEvent): void {
    const c = this.deps.colors;
    switch (event.type) {
      case "run.started":
        return;
      case "step.started":
        this.inFlight.clear();
        this.startStep(`${event.step}${event.detail ? c.dim(` ${event.detail}`) : ""}`);
        return;
      case "step.finished": {
        const text = `${event.step} ${c.dim(formatDuration(event.durationMs))}${event.detail ? ` ${c.dim(event.detail)}` : ""}`;
        if (event.outcome === "failed") this.endStep("fail", c.red(text));
        else if (event.outcome === "skipped")
          this.endStep("info", `${event.step} ${c.dim(`skipped${event.detail ? `: ${event.detail}` : ""}`)}`);
        else this.endStep("succeed", text);
        return;
      }
      case "retry.scheduled":
        this.line(
          c.yellow(
            `↻ ${event.step}: ${event.reason}, attempt ${event.attempt + 1}/${event.maxAttempts} in ${formatDuration(event.delayMs)}`,
          ) + c.dim(` (${firstLine(event.message)})`),
        );
        return;
      case "lock.waiting": {
        const place =
          event.position === undefined ? "" : event.position === 1 ? "; you are next" : `; ${event.position - 1} run(s) ahead of you`;
        this.line(
          c.yellow(
            `⏳ ${event.environment} is locked (${event.scope}) by ${formatHolder(event.holder)}${place}; waiting up to ${formatDuration(event.timeoutMs - event.waitedMs)}`,
          ),
        );
        return;
      }
      case "lock.recovered":
        this.line(c.yellow(`⚠ recovered the ${event.scope} lock of ${event.environment}: ${event.reason}`));
        return;
      case "lock.acquired":
      case "lock.released":
        if (this.verbose)
          this.line(c.dim(`${event.type === "lock.acquired" ? "locked" : "unlocked"} ${event.environment} (${event.scope})`));
        return;
      case "plan.summary":
        this.planSummary(event);
        return;
      case "cost.estimate":
        // What cost (and plan, after its summary) produces, so on stdout: the breakdown (free
        // resources listed with --verbose), then the totals.
        for (const line of formatCostTable(event.cost, { showFree: this.verbose })) this.data(`  ${line}`);
        return;
      case "guard.checked":
        // A refusal is told once, by the result, with its hint.
        if (event.allowed && event.confirmation === "flag") this.line(c.dim("confirmed by --yes"));
        return;
      case "resource.progress":
        if (event.phase === "start") this.inFlight.set(event.address, event.action);
        else this.inFlight.delete(event.address);
        if (event.phase === "error") this.line(c.red(`✖ ${event.address}: ${event.action} failed`));
        else if (event.phase === "complete" && this.verbose) this.line(c.dim(`✓ ${event.address} ${event.action}`));
        this.setSpinnerText(this.applyText());
        return;
      case "diagnostic": {
        const head = event.severity === "error" ? c.red(`Error: ${event.summary}`) : c.yellow(`Warning: ${event.summary}`);
        this.line(
          `${head}${event.address ? c.dim(` (${event.address})`) : ""}${event.detail ? `\n  ${event.detail.split("\n").join("\n  ")}` : ""}`,
        );
        return;
      }
      case "outputs": {
        const names = Object.keys(event.outputs);
        if (names.length === 0) return;
        this.data(c.bold("Outputs:"));
        for (const name of names) {
          const o = event.outputs[name];
          if (o === undefined) continue;
          this.data(`  ${name} = ${o.sensitive ? c.dim("(sensitive)") : JSON.stringify(o.value)}`);
        }
        return;
      }
      case "log":
        if (event.level === "debug" && !this.verbose) return;
        if (event.level === "warn") this.line(c.yellow(`⚠ ${event.message}`));
        else this.data(event.message);
        return;
      case "data":
        return;
      case "result": {
        this.stopSpinner();
        if (event.ok) {
          this.out(
            this.redactor.redact(
              `${c.green("✔")} ${event.summary ?? `${event.command} done`} ${c.dim(`in ${formatDuration(event.durationMs)}`)}\n`,
            ),
          );
        } else {
          const e = event.error;
          const lines = [`${c.red("✖")} ${e?.message ?? `${event.command} failed`}`];
          if (e?.hint) lines.push(`  ${c.dim("hint:")} ${e.hint}`);
          lines.push(c.dim(`  exit code ${event.exitCode}`));
          this.err(this.redactor.redact(lines.join("\n") + "\n"));
        }
        return;
      }
    }
  }

  close(): void {
    this.stopSpinner();
  }

  private planSummary(event: Extract<EvalapEvent, { type: "plan.summary" }>): void {
    const c = this.deps.colors;
    const { summary } = event;
    for (const change of summary.changes) {
      if (change.action === "noop") continue;
      const sign = ACTION_SIGN[change.action] ?? "?";
      const color = change.action === "create" ? c.green : change.action === "update" ? c.yellow : c.red;
      this.line(`  ${color(sign.padStart(3))} ${change.address}${change.reason ? c.dim(` (${change.reason})`) : ""}`);
      // Attribute-level changes, when the plan was read with show -json (bounded, sensitive values masked).
      for (const a of change.attributes ?? []) {
        const value = a.before === undefined ? (a.after ?? "null") : `${a.before} → ${a.after ?? c.dim("(removed)")}`;
        this.line(`        ${a.path} = ${value}${a.forcesReplacement ? c.red(" # forces replacement") : ""}`);
      }
      if (change.attributesOmitted) this.line(c.dim(`        … and ${change.attributesOmitted} more attribute(s)`));
    }
    this.line(c.bold(`Plan for ${event.environment}: ${formatPlanCounts(summary)}`));
  }

  private startStep(text: string): void {
    this.stopSpinner();
    const safe = this.redactor.redact(text);
    if (this.deps.spinner) this.spinner = this.deps.spinner(safe);
    else this.err(`… ${safe}\n`);
    this.startTicker(safe);
  }

  /**
   * Long steps (an apply can take minutes) show they are alive: the spinner's text gets the elapsed
   * time every second; without a spinner, a line every 30 s or so.
   */
  private startTicker(text: string): void {
    const started = this.timing.now();
    const withSpinner = this.spinner !== null;
    const ticker = setInterval(
      () => {
        if (!this.running) return;
        const elapsed = formatElapsed(this.timing.now() - this.running.started);
        if (this.spinner) this.spinner.text = `${this.running.text} ${this.deps.colors.dim(elapsed)}`;
        else if (!withSpinner) this.err(`… ${this.running.text}: still running, ${elapsed}\n`);
      },
      withSpinner ? this.timing.spinnerTickMs : this.timing.plainTickMs,
    );
    // A ticker never keeps the process alive.
    ticker.unref();
    this.running = { text, started, ticker };
  }

  private stopTicker(): void {
    if (this.running) clearInterval(this.running.ticker);
    this.running = null;
  }

  private endStep(kind: "succeed" | "fail" | "info", text: string): void {
    this.stopTicker();
    const c = this.deps.colors;
    const safe = this.redactor.redact(text);
    const symbol = kind === "succeed" ? c.green("✔") : kind === "fail" ? c.red("✖") : c.dim("–");
    if (this.spinner) {
      this.spinner.stopAndPersist({ symbol, text: safe });
      this.spinner = null;
    } else {
      this.err(`${symbol} ${safe}\n`);
    }
  }

  /**
   * What an apply is waiting for: the resource in flight the longest (a database creating while
   * quicker ones come and go), not the last one started, which may be long done.
   */
  private applyText(): string {
    const oldest = this.inFlight.entries().next();
    if (oldest.done === true) return "apply";
    const [address, action] = oldest.value;
    const more = this.inFlight.size - 1;
    return `apply ${action} ${address}${more > 0 ? ` (+${more} more)` : ""}`;
  }

  private setSpinnerText(text: string): void {
    const safe = this.redactor.redact(text);
    if (!this.running) {
      if (this.spinner) this.spinner.text = safe;
      return;
    }
    this.running.text = safe;
    if (this.spinner) this.spinner.text = `${safe} ${this.deps.colors.dim(formatElapsed(this.timing.now() - this.running.started))}`;
  }

  /** What the command produced (listings, outputs): stdout, so it can be piped. */
  private data(text: string): void {
    const safe = this.redactor.redact(text);
    this.aboveSpinner(() => this.out(safe + "\n"));
  }

  /** Progress and warnings: stderr, above the spinner. */
  private line(text: string): void {
    const safe = this.redactor.redact(text);
    this.aboveSpinner(() => this.err(safe + "\n"));
  }

  /** Prints without losing the spinner (nor the elapsed time of the running step). */
  private aboveSpinner(write: () => void): void {
    if (!this.spinner) return write();
    const current = this.spinner.text;
    this.spinner.stop();
    write();
    this.spinner = this.deps.spinner ? this.deps.spinner(current) : null;
  }

  private stopSpinner(): void {
    this.stopTicker();
    if (this.spinner) {
      this.spinner.stop();
      this.spinner = null;
    }
  }
}

function firstLine(s: string): string {
  const line = s.split("\n").find((l) => l.trim().length > 0) ?? s;
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
