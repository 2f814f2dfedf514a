/**
 * GitHub Actions workflow commands: `::name key=value,key=value::message` lines the runner reads
 * from a step's output (stdout and stderr alike: actions/runner, src/Runner.Worker/Handlers/ScriptHandler.cs
 * feeds both to its OutputManager). Escaping as documented in
 * https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions and done by
 * @actions/core (packages/core/src/command.ts, escapeData/escapeProperty): `%`, CR and LF in the
 * message; also `:` and `,` in property values, which delimit the properties.
 */

export type AnnotationKind = "error" | "warning" | "notice";

export interface AnnotationProperties {
  /** Relative to the repository root (the workspace). */
  file?: string;
  line?: number;
  col?: number;
  title?: string;
}

export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** One workflow command line (without its newline); properties left undefined are not written. */
export function workflowCommand(name: string, properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(",");
  return `::${name}${props ? ` ${props}` : ""}::${escapeData(message)}`;
}

export function annotation(kind: AnnotationKind, message: string, properties: AnnotationProperties = {}): string {
  // A line means nothing without a file, nor a column without a line.
  const { file, title } = properties;
  const line = file === undefined ? undefined : properties.line;
  const col = line === undefined ? undefined : properties.col;
  return workflowCommand(kind, { file, line, col, title }, message);
}

/**
 * `::add-mask::` lines for a secret value. The runner masks single lines only (a multi-line value
 * is masked line by line, as @actions/core's setSecret does); lines shorter than the redactor's
 * minimum are left out: masking "{" would shred every later log line of the job.
 */
export function maskCommands(value: string, minLength: number): string[] {
  const lines = value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= minLength);
  return [...new Set(lines)].map((l) => `::add-mask::${escapeData(l)}`);
}

/**
 * A plain line that must stay text: the runner would take a line starting with `::` (after leading
 * blanks) or holding `##[` for a command, so a tofu message or a resource name could open a group,
 * stop commands or forge an annotation. A zero-width space breaks both markers without changing
 * what a reader sees.
 */
export function neutralize(text: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(/^(\s*)::/, "$1\u200b::").replace(/##\[/g, "##\u200b["))
    .join("\n");
}
