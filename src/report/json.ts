import { EVENT_SCHEMA_VERSION, type EvalapEvent } from "../events/types.js";
import type { Redactor } from "./redact.js";
import type { Reporter } from "./reporter.js";

/**
 * `--json`: one JSON object per line on stdout, each with the schema version and a timestamp.
 * The last line of a run is always the `result` object.
 */
export class JsonReporter implements Reporter {
  constructor(
    private readonly redactor: Redactor,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
    private readonly now: () => Date = () => new Date(),
  ) {}

  handle(event: EvalapEvent): void {
    const line = JSON.stringify({ schemaVersion: EVENT_SCHEMA_VERSION, time: this.now().toISOString(), ...event });
    this.write(this.redactor.redact(line) + "\n");
  }

  close(): void {}
}
