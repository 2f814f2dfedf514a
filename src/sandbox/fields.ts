import { type ArgumentDetail, invalidArguments, type JsonObject } from "./errors.js";
import { isUuid } from "./clock.js";

/**
 * Reads a request body's fields, collecting every bad one so that the 400 names them all at once
 * (Scaleway's invalid_arguments lists one detail per argument).
 */
export class Fields {
  private readonly details: ArgumentDetail[] = [];

  constructor(private readonly body: JsonObject) {}

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  string(name: string, opts: { required: true; min?: number; max?: number }): string;
  string(name: string, opts?: { required?: false; min?: number; max?: number }): string | undefined;
  string(name: string, opts: { required?: boolean; min?: number; max?: number } = {}): string | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) {
      if (opts.required) this.fail(name, "required", "is required");
      return opts.required ? "" : undefined;
    }
    if (typeof v !== "string") return (this.fail(name, "format", "must be a string"), "");
    if (opts.min !== undefined && v.length < opts.min) this.fail(name, "constraint", `must be at least ${opts.min} characters long`);
    if (opts.max !== undefined && v.length > opts.max) this.fail(name, "constraint", `must be at most ${opts.max} characters long`);
    return v;
  }

  uuid(name: string, opts: { required: true }): string;
  uuid(name: string, opts?: { required?: false }): string | undefined;
  uuid(name: string, opts: { required?: boolean } = {}): string | undefined {
    const v = opts.required ? this.string(name, { required: true }) : this.string(name);
    if (v !== undefined && v !== "" && !isUuid(v)) this.fail(name, "format", "must be a UUID");
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") return (this.fail(name, "format", "must be a boolean"), undefined);
    return v;
  }

  strings(name: string): string[] | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) return (this.fail(name, "format", "must be a list of strings"), []);
    return v as string[];
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(name);
    if (v === undefined || v === "") return fallback;
    if (!(allowed as readonly string[]).includes(v))
      return (this.fail(name, "constraint", `must be one of: ${allowed.join(", ")}`), fallback);
    return v as T;
  }

  /** A required base64 field (standard alphabet, as Go marshals []byte), returned decoded. */
  base64(name: string): Buffer {
    const v = this.string(name, { required: true });
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
      this.fail(name, "format", "must be base64-encoded bytes");
      return Buffer.alloc(0);
    }
    return Buffer.from(v, "base64");
  }

  fail(name: string, reason: ArgumentDetail["reason"], help: string): void {
    this.details.push({ argument_name: name, reason, help_message: help });
  }

  /** Throws the 400 if any field was bad. */
  check(): void {
    if (this.details.length > 0) throw invalidArguments(this.details);
  }
}
