import { toTofuMessage, type RawDiagnostic, type TofuJsonMessage } from "./json.js";

/** A diagnostic as tofu reports it in its `-json` streams and in `validate -json`. */
export interface Diagnostic {
  severity: "error" | "warning";
  summary: string;
  detail?: string;
  address?: string;
  /** As tofu names it: relative to the directory it ran in. */
  file?: string;
  line?: number;
  column?: number;
}

export type { RawDiagnostic, RawResource, TofuJsonMessage } from "./json.js";

export function toDiagnostic(raw: RawDiagnostic): Diagnostic {
  const d: Diagnostic = {
    severity: raw.severity === "warning" ? "warning" : "error",
    summary: raw.summary ?? "unknown problem",
  };
  if (raw.detail) d.detail = raw.detail;
  if (raw.address) d.address = raw.address;
  if (raw.range?.filename) d.file = raw.range.filename;
  if (raw.range?.start?.line !== undefined) d.line = raw.range.start.line;
  if (raw.range?.start?.column !== undefined) d.column = raw.range.start.column;
  return d;
}

/** Parses one line of a `-json` stream; non-JSON lines (rare plugin chatter) yield null. */
export function parseJsonLine(line: string): TofuJsonMessage | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return null;
  try {
    return toTofuMessage(JSON.parse(trimmed));
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
  /** The state the lock protects (the S3 key, or the local file). */
  path?: string;
  /** "OperationTypeApply"… (operationName makes it readable). */
  operation?: string;
  /** user@host of the holder. */
  who?: string;
  /** The holder's tofu version. */
  version?: string;
  /** When the lock was taken, when tofu said. */
  created?: Date;
}

/**
 * Reads the "Lock Info" block tofu prints when a state lock is held by someone else (local and S3
 * backends alike): ID, Path, Operation, Who, Version, Created. Only the block is read, so an
 * "ID:" elsewhere in the message (an S3 RequestID) is not taken for the lock's.
 */
export function parseStateLockInfo(text: string): StateLockInfo | null {
  const at = text.search(/Lock Info:/);
  if (at < 0) return null;
  const block = text.slice(at).replace(/^[│ \t]+/gm, "");
  const field = (name: string) => new RegExp(`^${name}:[ \\t]+(\\S.*?)\\s*$`, "m").exec(block)?.[1];
  const id = field("ID");
  if (!id || !/^[0-9a-f-]{8,}$/i.test(id)) return null;
  const info: StateLockInfo = { id };
  for (const [key, name] of [
    ["path", "Path"],
    ["operation", "Operation"],
    ["who", "Who"],
    ["version", "Version"],
  ] as const) {
    const value = field(name);
    if (value) info[key] = value;
  }
  // "2026-11-25 23:32:46.952732125 +0000 UTC": keep milliseconds, drop the zone name.
  const created = /^Created:\s+(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)? ([+-]\d{2})(\d{2})/m.exec(block);
  if (created) {
    const ms = created[3] ? created[3].slice(0, 4) : "";
    const date = new Date(`${created[1]}T${created[2]}${ms}${created[4]}:${created[5]}`);
    if (!Number.isNaN(date.getTime())) info.created = date;
  }
  return info;
}

/** Why tofu refused `state push`: the backend's state is newer, or another state altogether. */
export type StatePushRefusal =
  | { kind: "older_serial"; serial: number; backendSerial: number }
  | { kind: "same_serial"; serial: number }
  | { kind: "other_lineage"; lineage: string; backendLineage: string };

/**
 * tofu's refusals (OpenTofu's statemgr import checks): "cannot import state with serial 1 over
 * newer state with serial 2", "cannot overwrite existing state with serial 1 with a different
 * state that has the same serial", "cannot import state with lineage "…" over unrelated state with
 * lineage "…"" (wrapped over lines in human output).
 */
export function parseStatePushRefusal(text: string): StatePushRefusal | null {
  const flat = text.replace(/\s+/g, " ");
  const serial = /cannot import state with serial (\d+) over newer state with serial (\d+)/i.exec(flat);
  if (serial?.[1] !== undefined && serial[2] !== undefined)
    return { kind: "older_serial", serial: Number(serial[1]), backendSerial: Number(serial[2]) };
  const same = /cannot overwrite existing state with serial (\d+) with a different state/i.exec(flat);
  if (same?.[1] !== undefined) return { kind: "same_serial", serial: Number(same[1]) };
  const lineage = /cannot import state with lineage "([^"]*)" over unrelated state with lineage "([^"]*)"/i.exec(flat);
  if (lineage?.[1] !== undefined && lineage[2] !== undefined)
    return { kind: "other_lineage", lineage: lineage[1], backendLineage: lineage[2] };
  return null;
}

/** tofu said it could not release a state lock: the lock may be left behind. */
export function lockReleaseFailed(diagnostics: Diagnostic[], stderr: string): boolean {
  return diagnostics.some((d) => /error releasing the state lock/i.test(d.summary)) || /error releasing the state lock/i.test(stderr);
}

/**
 * The state tofu printed in its stream because it could write it nowhere else ("Emergency state
 * dump", a log message), as JSON text; undefined for any other message. It may hold secrets.
 */
export function emergencyStateDump(message: TofuJsonMessage): string | undefined {
  return message["@message"] === "Emergency state dump" && message.state !== undefined ? JSON.stringify(message.state) : undefined;
}
