// Static rules of the infrastructure scan. Every rule works on one file's text and returns
// findings whose message never contains the offending value: only a masked form (first two
// characters and the length).

export interface ScanFinding {
  file: string;
  line: number;
  rule: string;
  message: string;
}

export type RuleId =
  | "hardcoded-secret"
  | "scw-secret-key"
  | "scw-access-key"
  | "private-key"
  | "high-entropy-string"
  | "sensitive-variable-default"
  | "forbidden-provider"
  | "forbidden-resource"
  | "forbidden-module-source"
  | "iam-outside-bootstrap";

/** First two characters and the length: enough to find the value, useless to an attacker. */
export function mask(value: string): string {
  return `${value.slice(0, 2)}… (${value.length} chars)`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A name is secret-ish when it ENDS with a secret word: ADMIN_TOKEN, state_passphrase,
// secret_key, "password". Names such as secret_path, secret_id or token_scopes are not.
const SECRET_NAME =
  /(?:^|[^a-z0-9])?(password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key)$/i;

// `name = value`, `name: value`, `"name": value`, `NAME=value` (HCL, YAML, JSON, dotenv, shell).
const ASSIGNMENT = /^\s*(?:export\s+|-\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*(?:=|:(?!:))\s*(.*)$/;

// Obvious non-values: references to the environment, template placeholders, masks.
const NON_VALUE = /^(?:\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\}|<[^<>]+>|\*+|x{3,}|\.\.\.|…)$/i;

// Placeholder values accepted in test files only (tofu test fixtures, scan fixtures).
const TEST_PLACEHOLDER = /(mock|dummy|fake|example|test|placeholder)/i;

const SCW_ACCESS_KEY = /\bSCW[A-Z0-9]{17}\b/g;
const PRIVATE_KEY_BLOCK = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;

const ALLOWED_PROVIDER_SOURCES = new Set([
  "scaleway/scaleway",
  "registry.opentofu.org/scaleway/scaleway",
  "registry.terraform.io/scaleway/scaleway",
]);
// Built-ins: terraform_data and the terraform_remote_state data source from the builtin
// `terraform` provider.
const ALLOWED_BUILTIN_TYPES = new Set(["terraform_data", "terraform_remote_state"]);
const ALLOWED_PROVIDER_NAMES = new Set(["scaleway", "terraform"]);
// Organization-level resources: IAM applications, policies, keys, groups... and projects. Only
// infra/bootstrap, applied once by an administrator, may manage them, so that the CI key that applies an
// environment needs no IAM right and cannot grant itself one (issue 10, item 7).
const ORGANIZATION_RESOURCE = /^scaleway_(iam_[a-z_]+|account_project)$/;
const BOOTSTRAP_DIR = /^infra\/bootstrap\//;

export interface FileContext {
  /** Path relative to the repository root, with forward slashes. */
  file: string;
  text: string;
}

function isHclFile(file: string): boolean {
  return /\.(tf|tfvars|hcl)$/.test(file) || /\.tf\.(tpl|hbs|tmpl|j2)$/.test(file);
}

function isTofuCode(file: string): boolean {
  return /\.tf$/.test(file) || /\.tftest\.hcl$/.test(file) || /\.tf\.(tpl|hbs|tmpl|j2)$/.test(file);
}

export function isTestFile(file: string): boolean {
  return /(^|\/)(tests?|fixtures?|__tests__)\//.test(file) || /\.tftest\.hcl$/.test(file) || /\.test\.[cm]?[jt]s$/.test(file);
}

function isLockFile(file: string): boolean {
  return /(^|\/)\.terraform\.lock\.hcl$/.test(file);
}

/** Strip a trailing `#` or `//` comment that is not inside quotes. */
function stripComment(raw: string): string {
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw[i];
    if (quote) {
      if (c === "\\") i += 1;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(raw[i - 1] ?? ""))) return raw.slice(0, i);
    else if (c === "/" && raw[i + 1] === "/" && (i === 0 || /\s/.test(raw[i - 1] ?? ""))) return raw.slice(0, i);
  }
  return raw;
}

/**
 * The literal assigned on a line, or null when the right-hand side is not a literal (a reference,
 * an expression, an interpolation, a block, a number or a boolean).
 */
function literalValue(rhs: string, hcl: boolean): string | null {
  const value = stripComment(rhs).trim().replace(/,$/, "").trim();
  if (value === "") return null;
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(value) ?? /^'((?:[^'\\]|\\.)*)'$/.exec(value);
  let literal: string;
  if (quoted) {
    literal = quoted[1] ?? "";
  } else {
    // In HCL an unquoted right-hand side is an expression (var.x, module.y.z, a function call).
    if (hcl) return null;
    if (/^[[{|>&*!]/.test(value)) return null; // YAML blocks, anchors, tags, flow collections
    literal = value;
  }
  if (literal.includes("${") || literal.includes("{{") || literal.includes("%{")) return null;
  if (/^(true|false|null|nil|none|yes|no|on|off|~)$/i.test(literal)) return null;
  if (/^-?\d+(\.\d+)?$/.test(literal)) return null;
  if (literal.length < 4) return null;
  if (NON_VALUE.test(literal)) return null;
  return literal;
}

function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Entropy threshold in bits per character above which a token is reported. */
export const ENTROPY_THRESHOLD = 4.2;
const HEX_ENTROPY_THRESHOLD = 3.2;

// One "word" of an identifier, a path or a KEY=value pair: lower, UPPER, Capitalized or
// camelCase letters, optionally followed by digits, or digits alone.
const IDENTIFIER_SEGMENT = /^(?:[a-z]+|[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*|[A-Z]+[a-z]+)?[0-9]*$/;

function looksLikeIdentifier(token: string): boolean {
  return token.split(/[_\-/=.+]+/).every((segment) => IDENTIFIER_SEGMENT.test(segment));
}

function looksHighEntropy(token: string): boolean {
  if (UUID.test(token)) return false; // identifiers; secret UUIDs are caught by scw-secret-key
  if (looksLikeIdentifier(token)) return false;
  // Base64 of readable text (a mock's {"user":"evalap_a","password":"mock"}) is judged by what it
  // encodes: random bytes do not decode to printable text, and a secret inside the text still shows.
  const text = readableBase64(token);
  if (text !== null) return [...text.matchAll(/[A-Za-z0-9+/=_-]{20,}/g)].some((m) => looksHighEntropy(m[0]));
  if (/^[a-f0-9]{32,}$/i.test(token)) return shannonEntropy(token) >= HEX_ENTROPY_THRESHOLD;
  if (token.length < 24) return false;
  // Random keys and base64 of random bytes mix lower case, upper case and digits; identifiers,
  // paths and KEY=value pairs (SCW_DEFAULT_REGION=fr-par, modules/cockpit-monitoring) do not.
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(token)).length;
  if (classes < 3) return false;
  return shannonEntropy(token) >= ENTROPY_THRESHOLD;
}

/** The text a base64 token encodes, when it is padded base64 of printable ASCII; null otherwise. */
function readableBase64(token: string): string | null {
  if (token.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return null;
  const text = Buffer.from(token, "base64").toString("latin1");
  return /^[\x20-\x7e]+$/.test(text) ? text : null;
}

// Contexts where long hex or base64 strings are expected and not secret.
const ENTROPY_ALLOWED_LINE = /(\buses:\s*\S+@|\bsha256:|\bsha512:|\bh1:|\bzh:|\bdigest\b|\bintegrity\b|\bcommit\b|\bchecksum\b)/i;

function checkSecrets(ctx: FileContext, push: (line: number, rule: RuleId, message: string) => void): void {
  const hcl = isHclFile(ctx.file);
  const testFile = isTestFile(ctx.file);
  const lock = isLockFile(ctx.file);
  const lines = ctx.text.split(/\r?\n/);
  let inPrivateKey = false;

  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;

    if (PRIVATE_KEY_BLOCK.test(raw)) {
      push(lineNo, "private-key", "private key block");
      inPrivateKey = true;
      return;
    }
    if (inPrivateKey) {
      if (/-----END /.test(raw)) inPrivateKey = false;
      return;
    }

    for (const m of raw.matchAll(SCW_ACCESS_KEY)) {
      push(lineNo, "scw-access-key", `Scaleway access key ${mask(m[0])}`);
    }

    const assignment = ASSIGNMENT.exec(raw);
    let reported = false;
    if (assignment) {
      const name = assignment[1] ?? "";
      const value = literalValue(assignment[2] ?? "", hcl);
      if (value !== null && SECRET_NAME.test(name)) {
        const placeholderOk = testFile && TEST_PLACEHOLDER.test(value) && !UUID.test(value);
        if (UUID.test(value)) {
          push(lineNo, "scw-secret-key", `UUID literal assigned to secret-like name "${name}": ${mask(value)}`);
          reported = true;
        } else if (!placeholderOk) {
          push(lineNo, "hardcoded-secret", `literal value assigned to secret-like name "${name}": ${mask(value)}`);
          reported = true;
        }
      }
    }

    if (!reported && !lock && !ENTROPY_ALLOWED_LINE.test(raw)) {
      for (const m of raw.matchAll(/[A-Za-z0-9+/=_-]{20,}/g)) {
        const token = m[0];
        if (looksHighEntropy(token)) {
          push(lineNo, "high-entropy-string", `high-entropy string ${mask(token)} (entropy ${shannonEntropy(token).toFixed(2)})`);
          break;
        }
      }
    }
  });
}

/** Blocks `keyword "label" ... {` with their body, found by brace matching (strings skipped). */
function hclBlocks(text: string, keyword: string): Array<{ labels: string[]; body: string; line: number }> {
  const blocks: Array<{ labels: string[]; body: string; line: number }> = [];
  const re = new RegExp(`^[ \\t]*${keyword}((?:[ \\t]+"[^"]*")*)[ \\t]*\\{`, "gm");
  for (const m of text.matchAll(re)) {
    const start = (m.index ?? 0) + m[0].length;
    let depth = 1;
    let i = start;
    let quote = false;
    while (i < text.length && depth > 0) {
      const c = text[i];
      if (quote) {
        if (c === "\\") i += 1;
        else if (c === '"') quote = false;
      } else if (c === '"') quote = true;
      else if (c === "{") depth += 1;
      else if (c === "}") depth -= 1;
      else if (c === "#") {
        const nl = text.indexOf("\n", i);
        i = nl === -1 ? text.length : nl;
        continue;
      }
      i += 1;
    }
    const labels = [...(m[1] ?? "").matchAll(/"([^"]*)"/g)].map((l) => l[1] ?? "");
    const line = text.slice(0, m.index ?? 0).split("\n").length;
    blocks.push({ labels, body: text.slice(start, i - 1), line });
  }
  return blocks;
}

function checkTofu(ctx: FileContext, push: (line: number, rule: RuleId, message: string) => void): void {
  if (!isTofuCode(ctx.file)) return;
  const text = ctx.text;
  const lineOf = (offset: number): number => text.slice(0, offset).split("\n").length;

  // Providers declared in required_providers.
  for (const rp of hclBlocks(text, "required_providers")) {
    const base = text.indexOf(rp.body);
    for (const m of rp.body.matchAll(/source\s*=\s*"([^"]+)"/g)) {
      const source = (m[1] ?? "").toLowerCase();
      if (!ALLOWED_PROVIDER_SOURCES.has(source)) {
        push(lineOf(base + (m.index ?? 0)), "forbidden-provider", `provider source "${m[1]}" is not scaleway/scaleway (FR-013)`);
      }
    }
    for (const m of rp.body.matchAll(/^\s*([A-Za-z0-9_-]+)\s*=\s*"([^"]+)"/gm)) {
      const source = (m[2] ?? "").toLowerCase();
      if ((m[1] ?? "") !== "source" && (m[1] ?? "") !== "version" && !ALLOWED_PROVIDER_SOURCES.has(source)) {
        push(lineOf(base + (m.index ?? 0)), "forbidden-provider", `provider source "${m[2]}" is not scaleway/scaleway (FR-013)`);
      }
    }
  }

  // provider / mock_provider blocks.
  for (const kw of ["provider", "mock_provider"]) {
    for (const b of hclBlocks(text, kw)) {
      const name = b.labels[0] ?? "";
      if (!ALLOWED_PROVIDER_NAMES.has(name)) {
        push(b.line, "forbidden-provider", `${kw} "${name}" is not the Scaleway provider (FR-013)`);
      }
    }
  }

  // Resource, data, ephemeral and mock types.
  const typeBlocks: Array<[string, string]> = [
    ["resource", "resource"],
    ["data", "data source"],
    ["ephemeral", "ephemeral resource"],
    ["mock_resource", "mocked resource"],
    ["mock_data", "mocked data source"],
    ["override_resource", "override"],
  ];
  for (const [kw, what] of typeBlocks) {
    for (const m of text.matchAll(new RegExp(`^[ \\t]*${kw}[ \\t]+"([^"]+)"`, "gm"))) {
      const type = m[1] ?? "";
      if (!type.startsWith("scaleway_") && !ALLOWED_BUILTIN_TYPES.has(type)) {
        push(lineOf(m.index ?? 0), "forbidden-resource", `${what} type "${type}" is neither Scaleway nor an OpenTofu built-in (FR-013)`);
      }
      if (kw === "resource" && ORGANIZATION_RESOURCE.test(type) && !BOOTSTRAP_DIR.test(ctx.file) && !isTestFile(ctx.file)) {
        push(
          lineOf(m.index ?? 0),
          "iam-outside-bootstrap",
          `resource type "${type}" is organization-level: manage it in infra/bootstrap (applied once by an administrator), not in an environment's apply`,
        );
      }
    }
  }

  // Modules must be local: a registry or git module could bring any provider in.
  for (const b of hclBlocks(text, "module")) {
    const src = /^\s*source\s*=\s*"([^"]+)"/m.exec(b.body);
    if (src && !/^\.\.?\//.test(src[1] ?? "")) {
      push(b.line, "forbidden-module-source", `module "${b.labels[0] ?? ""}" has a non-local source "${src[1]}"`);
    }
  }

  // Sensitive variables must not carry a default (a default would be a hard-coded secret).
  for (const b of hclBlocks(text, "variable")) {
    if (/^\s*sensitive\s*=\s*true\b/m.test(b.body) && /^\s*default\s*=/m.test(b.body)) {
      push(b.line, "sensitive-variable-default", `sensitive variable "${b.labels[0] ?? ""}" has a default value`);
    }
  }
}

export function scanFile(ctx: FileContext): ScanFinding[] {
  const findings: ScanFinding[] = [];
  const seen = new Set<string>();
  const push = (line: number, rule: RuleId, message: string): void => {
    const key = `${line}:${rule}:${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push({ file: ctx.file, line, rule, message });
  };
  checkSecrets(ctx, push);
  checkTofu(ctx, push);
  return findings;
}
