/**
 * Redaction of secret values at the output boundary. Every reporter passes every byte it writes
 * through one Redactor, so a secret learnt at any point of the run (a sensitive tofu output, a
 * secret read from Secret Manager, a credential in the environment) never reaches the terminal,
 * NDJSON or a log file.
 */
export const REDACTED = "[REDACTED]";

/** Environment variable names whose values are secrets. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIAL|ENCRYPTION)/i;
/** Names that match the pattern above but hold no secret. */
const NOT_SECRET = /^(TF_TOKEN_.*_HOSTNAME|.*_TOKEN_URL|.*_KEY_ID|SCW_ACCESS_KEY)$/i;
/** Shorter values are not treated as secrets: redacting "1" or "yes" would shred all output. */
export const MIN_SECRET_LENGTH = 6;

export class Redactor {
  private readonly secrets = new Set<string>();
  /** The values as registered (without their JSON-escaped forms), for listeners that join late. */
  private readonly values: string[] = [];
  private readonly listeners: Array<(value: string) => void> = [];
  private pattern: RegExp | null = null;

  /**
   * Calls `listener` with every secret value: at once for those already known, then each new one
   * the moment it is registered, before anything could print it (a CI log mask).
   */
  onSecret(listener: (value: string) => void): void {
    this.listeners.push(listener);
    for (const value of this.values) listener(value);
  }

  /** Registers a value (and every string leaf of an object) as secret. */
  add(value: unknown): void {
    if (typeof value === "string") {
      this.addString(value);
    } else if (typeof value === "number" || typeof value === "boolean") {
      this.addString(String(value));
    } else if (Array.isArray(value)) {
      for (const v of value) this.add(v);
    } else if (value !== null && typeof value === "object") {
      for (const v of Object.values(value)) this.add(v);
    }
  }

  /** Registers the values of environment variables whose names say they are secret. */
  addFromEnvironment(env: NodeJS.ProcessEnv): void {
    for (const [name, value] of Object.entries(env)) {
      if (value !== undefined && SECRET_NAME.test(name) && !NOT_SECRET.test(name)) this.addString(value);
    }
  }

  get size(): number {
    return this.secrets.size;
  }

  redact(text: string): string {
    if (this.pattern === null || text.length === 0) return text;
    return text.replace(this.pattern, REDACTED);
  }

  private addString(value: string): void {
    const trimmed = value.trim();
    if (trimmed.length < MIN_SECRET_LENGTH || this.secrets.has(trimmed)) return;
    this.secrets.add(trimmed);
    // The JSON-escaped form is what appears inside NDJSON, so both are matched.
    const escaped = JSON.stringify(trimmed).slice(1, -1);
    if (escaped !== trimmed) this.secrets.add(escaped);
    this.rebuild();
    this.values.push(trimmed);
    for (const listener of this.listeners) listener(trimmed);
  }

  private rebuild(): void {
    // Longest first, so a secret containing another is replaced whole.
    const alternatives = [...this.secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    this.pattern = new RegExp(alternatives.join("|"), "g");
  }
}
