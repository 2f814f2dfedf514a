import { appendFileSync } from "node:fs";
import path from "node:path";
import type { EvalapEvent } from "../events/types.js";
import { annotation, maskCommands, neutralize, workflowCommand, type AnnotationProperties } from "./github-commands.js";
import { RunSummary } from "./github-summary.js";
import { MIN_SECRET_LENGTH, type Redactor } from "./redact.js";
import type { Reporter } from "./reporter.js";
import { HumanReporter, plainColors } from "./tty.js";

export interface GitHubReporterOptions {
  /** What the command produces (listings, outputs, the final line of a success). */
  out?: (text: string) => void;
  /** Progress, workflow commands, masks and annotations. */
  err?: (text: string) => void;
  /** `$GITHUB_STEP_SUMMARY`: the Markdown summary is appended there at the end (none when unset). */
  summaryFile?: string | undefined;
  /** `$GITHUB_WORKSPACE` (else the current directory): annotation paths are relative to it. */
  workspace: string;
  /** The command line as typed, for the summary. */
  commandLine: string;
  verbose?: boolean;
  /** Appends to a file; tests replace it. */
  appendFile?: (file: string, text: string) => void;
}

/**
 * `--reporter github` (the default under GitHub Actions, unless --json): the human reporter's plain
 * lines, each step's inside a `::group::`; errors and warnings as annotations pointing at the file
 * and line when known; every secret value the run learns masked with `::add-mask::` before anything
 * could print it; and a Markdown summary of the run appended to `$GITHUB_STEP_SUMMARY`.
 */
export class GitHubReporter implements Reporter {
  private readonly plain: HumanReporter;
  private readonly summary: RunSummary;
  private readonly out: (text: string) => void;
  private readonly err: (text: string) => void;
  /** The step whose group is open: groups do not nest on GitHub, so a step inside another ends its group. */
  private group: string | null = null;
  private closed = false;
  private readonly annotated = new Set<string>();

  constructor(
    private readonly redactor: Redactor,
    private readonly options: GitHubReporterOptions,
  ) {
    this.out = options.out ?? ((t) => process.stdout.write(t));
    this.err = options.err ?? ((t) => process.stderr.write(t));
    this.plain = new HumanReporter(
      redactor,
      { colors: plainColors, spinner: null },
      (t) => this.out(neutralize(t)),
      (t) => this.err(neutralize(t)),
      options.verbose === true,
    );
    this.summary = new RunSummary(redactor, options.commandLine);
    // Masks are the one output that holds a secret: never redacted, written the moment a value is known.
    redactor.onSecret((value) => {
      for (const line of maskCommands(value, MIN_SECRET_LENGTH)) this.err(line + "\n");
    });
  }

  handle(event: EvalapEvent): void {
    this.summary.observe(event);
    switch (event.type) {
      case "step.started":
        this.endGroup();
        this.command(workflowCommand("group", {}, this.redactor.redact(`${event.step}${event.detail ? ` ${event.detail}` : ""}`)));
        this.group = event.step;
        this.plain.handle(event);
        return;
      case "step.finished":
        this.plain.handle(event);
        if (this.group === event.step) this.endGroup();
        return;
      case "diagnostic":
        this.annotate(event.severity, event.detail ? `${event.summary}\n\n${event.detail}` : event.summary, {
          ...this.where(event),
          ...(event.address ? { title: event.address } : {}),
        });
        return;
      case "log":
        if (event.level === "warn") this.annotate("warning", event.message);
        else this.plain.handle(event);
        return;
      case "lock.recovered":
        this.annotate("warning", `recovered the ${event.scope} lock of ${event.environment}: ${event.reason}`);
        return;
      case "health.service":
        if (event.healthy) this.err(neutralize(this.redactor.redact(`✔ ${event.service} healthy (${event.attempts} checks)`)) + "\n");
        else
          this.annotate("error", `${event.service} is unhealthy: ${event.reason ?? "no reason given"} (${event.url})`, {
            title: `health gate: ${event.service}`,
          });
        return;
      case "result":
        this.endGroup();
        if (event.ok) return this.plain.handle(event);
        this.annotate(
          "error",
          `${event.error?.message ?? `${event.command} failed`}${event.error?.hint ? `\nhint: ${event.error.hint}` : ""}`,
          {
            ...this.where(event.error ?? {}),
            title: `evalap-infra ${event.command} failed (exit ${event.exitCode})${event.error ? `: ${event.error.code}` : ""}`,
          },
        );
        return;
      default:
        this.plain.handle(event);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.plain.close();
    this.endGroup();
    const file = this.options.summaryFile;
    if (!file) return;
    const append = this.options.appendFile ?? ((f: string, t: string) => appendFileSync(f, t, "utf8"));
    try {
      // Appended, never truncated: other steps of the job write to the same file.
      append(file, this.summary.markdown());
    } catch (err) {
      this.annotate("warning", `the run summary could not be written to ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private endGroup(): void {
    if (this.group === null) return;
    this.group = null;
    this.command("::endgroup::");
  }

  private annotate(kind: "error" | "warning", message: string, properties: AnnotationProperties = {}): void {
    // Redacted before escaping: an escaped secret would no longer match.
    const safe: AnnotationProperties = { ...properties };
    if (properties.title !== undefined) safe.title = this.redactor.redact(properties.title);
    const line = annotation(kind, this.redactor.redact(message), safe);
    // GitHub shows a few annotations per step: the same one twice (tofu repeats a provider warning per provider instance) would waste one.
    if (this.annotated.has(line)) return;
    this.annotated.add(line);
    this.command(line);
  }

  private command(line: string): void {
    this.err(line + "\n");
  }

  /** file/line/col for an annotation: the path relative to the workspace, when it is inside it. */
  private where(at: { file?: string; line?: number; column?: number }): Pick<AnnotationProperties, "file" | "line" | "col"> {
    if (at.file === undefined) return {};
    const rel = path.relative(this.options.workspace, at.file);
    const file = rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? at.file : rel.split(path.sep).join("/");
    return {
      file: this.redactor.redact(file),
      ...(at.line !== undefined ? { line: at.line } : {}),
      ...(at.column !== undefined ? { col: at.column } : {}),
    };
  }
}
