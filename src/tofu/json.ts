import { z } from "zod";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";

/**
 * zod schemas of what tofu prints as JSON: the `-json` UI stream, `validate -json`,
 * `output -json` and `version -json`. Only the fields we read are declared; loose objects keep
 * the rest, so a newer tofu adding fields is not an error. In the stream, only the message types
 * we use are validated (a plan of a large root prints thousands of lines we only skip).
 */

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

export interface RawDiagnostic {
  severity?: string;
  summary?: string;
  detail?: string;
  address?: string;
  range?: { filename?: string; start?: { line?: number; column?: number } };
}

const str = z.string().optional();
const num = z.number().optional();

const resource = z.looseObject({ addr: str, resource_type: str, module: str });

export const rawDiagnosticSchema = z.looseObject({
  severity: str,
  summary: str,
  detail: str,
  address: str,
  range: z.looseObject({ filename: str, start: z.looseObject({ line: num, column: num }).optional() }).optional(),
});

const base = { "@level": str, "@message": str, type: str };

const change = z.looseObject({ ...base, change: z.looseObject({ resource: resource.optional(), action: str, reason: str }) });
const hook = z.looseObject({ ...base, hook: z.looseObject({ resource: resource.optional(), action: str, elapsed_seconds: num }) });

const MESSAGES: Readonly<Record<string, z.ZodType<TofuJsonMessage>>> = {
  diagnostic: z.looseObject({ ...base, diagnostic: rawDiagnosticSchema }),
  planned_change: change,
  resource_drift: change,
  change_summary: z.looseObject({
    ...base,
    changes: z.looseObject({ add: num, change: num, remove: num, import: num, forget: num, operation: str }),
  }),
  apply_start: hook,
  apply_progress: hook,
  apply_complete: hook,
  apply_errored: hook,
  outputs: z.looseObject({
    ...base,
    outputs: z.record(
      z.string(),
      z.looseObject({ sensitive: z.boolean().optional(), type: z.unknown().optional(), value: z.unknown().optional(), action: str }),
    ),
  }),
  // The "Emergency state dump" is a log message carrying the state.
  log: z.looseObject({ ...base, state: z.unknown().optional() }),
};

const baseMessage = z.looseObject(base);

/**
 * One decoded line of the stream, checked. A message of a type we read that does not match its
 * schema keeps only its level, text and type; a diagnostic is then kept from its text, so an error
 * tofu reported is never lost to a format change.
 */
export function toTofuMessage(value: unknown): TofuJsonMessage | null {
  const head = baseMessage.safeParse(value);
  if (!head.success) return null;
  const schema = head.data.type === undefined ? undefined : MESSAGES[head.data.type];
  if (schema === undefined) return head.data;
  const full = schema.safeParse(value);
  if (full.success) return full.data;
  const message: TofuJsonMessage = { "@level": head.data["@level"], "@message": head.data["@message"], type: head.data.type };
  if (head.data.type === "diagnostic") {
    const diagnostic: RawDiagnostic = {
      severity: head.data["@level"] === "warning" ? "warning" : "error",
      summary: head.data["@message"] ?? "unreadable diagnostic",
    };
    message.diagnostic = diagnostic;
  }
  return message;
}

const validateSchema = z.looseObject({ valid: z.boolean().default(false), diagnostics: z.array(rawDiagnosticSchema).default([]) });
const outputsSchema = z.record(z.string(), z.looseObject({ sensitive: z.boolean().default(false), value: z.unknown().optional() }));
const versionSchema = z.looseObject({ terraform_version: z.string().min(1) });

export type ValidateJson = z.infer<typeof validateSchema>;
export type OutputsJson = z.infer<typeof outputsSchema>;

/** tofu's JSON is not what we read: the first problem, with its path (never the values: outputs may be secret). */
export class TofuJsonError extends EvalapError {
  readonly what: string;
  readonly problem: string;
  constructor(what: string, problem: string) {
    super("tofu_unexpected_json", `tofu printed unexpected JSON for ${what}: ${problem}`, {
      exitCode: ExitCode.Failure,
      hint: "run `evalap-infra doctor` to check which tofu is used; this tool is tested with OpenTofu 1.11 and later",
    });
    this.name = "TofuJsonError";
    this.what = what;
    this.problem = problem;
  }
}

function parseWith<T>(what: string, schema: z.ZodType<T>, text: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TofuJsonError(what, err instanceof Error ? err.message : String(err));
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new TofuJsonError(what, issue ? `${issue.path.join(".") || "(top)"}: ${issue.message}` : "invalid");
}

/** `tofu validate -json`. */
export const parseValidateJson = (text: string): ValidateJson => parseWith("validate -json", validateSchema, text);
/** `tofu output -json`: every output with its value. */
export const parseOutputsJson = (text: string): OutputsJson => parseWith("output -json", outputsSchema, text);
/** `tofu version -json`: the version. */
export const parseVersionJson = (text: string): string => parseWith("version -json", versionSchema, text).terraform_version;
