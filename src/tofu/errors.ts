import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { classifyFailure, type FailureClass } from "./classify.js";
import { describeDiagnostics, type Diagnostic } from "./diagnostics.js";

/** A tofu subcommand that exited non-zero, with what it said and how the failure classifies. */
export class TofuError extends EvalapError {
  readonly subcommand: string;
  readonly tofuExitCode: number;
  readonly diagnostics: Diagnostic[];
  readonly stderr: string;
  readonly failure: FailureClass;

  constructor(subcommand: string, tofuExitCode: number, diagnostics: Diagnostic[], stderr: string) {
    const said = describeDiagnostics(diagnostics) || lastLines(stderr) || `exit code ${tofuExitCode}`;
    super("tofu_failed", `tofu ${subcommand} failed: ${said}`, {
      exitCode: ExitCode.Failure,
      hint: "read the diagnostics above; fix the configuration or the inputs and run again",
    });
    this.name = "TofuError";
    this.subcommand = subcommand;
    this.tofuExitCode = tofuExitCode;
    this.diagnostics = diagnostics;
    this.stderr = stderr;
    this.failure = classifyFailure({ diagnostics, stderr });
  }
}

function lastLines(text: string): string {
  return text
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.replace(/^[│╷╵]\s?/, "").trim())
    .filter((l) => l.length > 0)
    .slice(-3)
    .join(" ");
}
