/** A diagnostic as tofu reports it in its `-json` streams and in `validate -json`. */
export interface Diagnostic {
  severity: "error" | "warning";
  summary: string;
  detail?: string;
  address?: string;
  file?: string;
  line?: number;
}

/** One message of tofu's machine-readable UI (`-json`), with the fields we read. */
export interface TofuJsonMessage {
  "@level"?: string;
  "@message"?: string;
  type?: string;
  diagnostic?: RawDiagnostic;
  change?: { resource?: RawResource; action?: string; reason?: string };
  hook?: { resource?: RawResource; action?: string; elapsed_seconds?: number };
  outputs?: Record<string, { sensitive?: boolean; type?: unknown; value?: unknown; action?: string }>;
  changes?: { add?: number; change?: number; remove?: number; import?: number; forget?: number; operation?: string };
  /** "Emergency state dump": the state tofu could save nowhere else (it may hold secrets). */
  state?: unknown;
}

export interface RawResource {
  addr?: string;
  resource_type?: string;
  module?: string;
}

interface RawDiagnostic {
  severity?: string;
  summary?: string;
  detail?: string;
  address?: string;
  range?: { filename?: string; start?: { line?: number } };
}

export function toDiagnostic(raw: RawDiagnostic): Diagnostic {
  const d: Diagnostic = {
    severity: raw.severity === "warning" ? "warning" : "error",
    summary: raw.summary ?? "unknown problem",
  };
  if (raw.detail) d.detail = raw.detail;
  if (raw.address) d.address = raw.address;
  if (raw.range?.filename) d.file = raw.range.filename;
  if (raw.range?.start?.line !== undefined) d.line = raw.range.start.line;
  return d;
}

/** Parses one line of a `-json` stream; non-JSON lines (rare plugin chatter) yield null. */
export function parseJsonLine(line: string): TofuJsonMessage | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === "object" && value !== null ? (value as TofuJsonMessage) : null;
  } catch {
    return null;
  }
}

/**
 * Extracts diagnostics from tofu's human output (commands run without -json, such as init):
 * blocks that start with "Error: " or "Warning: ", possibly inside the │ box drawing.
 */
export function parseHumanDiagnostics(text: string): Diagnostic[] {
  const lines = text.split("\n").map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").replace(/^[│╷╵]\s?/, ""));
  const out: Diagnostic[] = [];
  let current: Diagnostic | null = null;
  let detail: string[] = [];
  const flush = () => {
    if (current) {
      const d = detail.join("\n").trim();
      if (d) current.detail = d;
      out.push(current);
    }
    current = null;
    detail = [];
  };
  for (const line of lines) {
    const m = /^(Error|Warning): (.*)$/.exec(line);
    if (m && m[1] !== undefined && m[2] !== undefined) {
      flush();
      current = { severity: m[1] === "Error" ? "error" : "warning", summary: m[2].trim() };
    } else if (current) {
      detail.push(line);
    }
  }
  flush();
  return out;
}

export function describeDiagnostics(diagnostics: Diagnostic[]): string {
  return diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => `${d.summary}${d.address ? ` (${d.address})` : ""}${d.detail ? `: ${d.detail.split("\n")[0]}` : ""}`)
    .join("; ");
}

export interface StateLockInfo {
  id: string;
  who?: string;
  operation?: string;
  /** When the lock was taken, when tofu said. */
  created?: Date;
}

/** Reads the "Lock Info" block tofu prints when a state lock is held by someone else. */
export function parseStateLockInfo(text: string): StateLockInfo | null {
  const id = /\bID:\s+([0-9a-f-]{8,})/i.exec(text)?.[1];
  if (!id) return null;
  const info: StateLockInfo = { id };
  const who = /\bWho:\s+(\S+)/.exec(text)?.[1];
  if (who) info.who = who;
  const operation = /\bOperation:\s+(\S+)/.exec(text)?.[1];
  if (operation) info.operation = operation;
  // "2026-11-25 23:32:46.952732125 +0000 UTC": keep milliseconds, drop the zone name.
  const created = /\bCreated:\s+(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)? ([+-]\d{2})(\d{2})/.exec(text);
  if (created) {
    const ms = created[3] ? created[3].slice(0, 4) : "";
    const date = new Date(`${created[1]}T${created[2]}${ms}${created[4]}:${created[5]}`);
    if (!Number.isNaN(date.getTime())) info.created = date;
  }
  return info;
}
