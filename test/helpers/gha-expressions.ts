/**
 * The part of GitHub Actions' expression language our workflows use, evaluated as GitHub does
 * (docs.github.com/en/actions/reference/workflows-and-actions/expressions): literals ('string',
 * numbers, true/false/null), context paths (github.event.schedule, inputs.x, matrix.x, env.X,
 * needs.job.result...), ! == != && || and parentheses (&& and || return an operand, not a boolean),
 * and the functions startsWith, endsWith, contains, format, success, failure, always, cancelled.
 * A missing property is null (''), as on GitHub. Anything else throws: a workflow using more than
 * this must extend the harness, never be run half-understood.
 */
export type Value = string | number | boolean | null | { [key: string]: Value } | Value[];
export type Contexts = Record<string, Value>;

export interface Status {
  /** Whether every earlier step succeeded (success()/failure()). */
  ok: boolean;
}

type Token =
  { kind: "str"; value: string } | { kind: "num"; value: number } | { kind: "id"; value: string } | { kind: "op"; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`unterminated string in ${text}`);
        if (text[i] === "'" && text[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (text[i] === "'") {
          i++;
          break;
        } else value += text[i++];
      }
      tokens.push({ kind: "str", value });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9.]+/.exec(text.slice(i))?.[0] ?? c;
      tokens.push({ kind: "num", value: Number(m) });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_*][A-Za-z0-9_-]*)*/.exec(text.slice(i))?.[0] ?? c;
      tokens.push({ kind: "id", value: m });
      i += m.length;
    } else {
      const op = ["==", "!=", "&&", "||", "<=", ">="].find((o) => text.startsWith(o, i)) ?? c;
      if (!["==", "!=", "&&", "||", "!", "(", ")", ","].includes(op)) throw new Error(`unsupported operator ${op} in ${text}`);
      tokens.push({ kind: "op", value: op });
      i += op.length;
    }
  }
  return tokens;
}

const truthy = (v: Value): boolean => !(v === null || v === false || v === 0 || v === "" || Number.isNaN(v));
const text = (v: Value): string => (v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
const loose = (a: Value, b: Value): boolean => {
  // GitHub compares strings case-insensitively and coerces mixed types to numbers.
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b) return a === b;
  const num = (v: Value) =>
    v === null ? 0 : typeof v === "boolean" ? Number(v) : typeof v === "string" ? (v.trim() === "" ? 0 : Number(v)) : NaN;
  return num(a) === num(b);
};

export function evaluate(expression: string, contexts: Contexts, status: Status = { ok: true }): Value {
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (op?: string): Token => {
    const t = tokens[pos++];
    if (!t || (op !== undefined && !(t.kind === "op" && t.value === op))) throw new Error(`expected ${op ?? "a value"} in ${expression}`);
    return t;
  };
  const isOp = (op: string) => {
    const t = peek();
    return t?.kind === "op" && t.value === op;
  };
  /** One left-associative level of the grammar, `operand (op operand)*`, folded left to right. */
  const level = (ops: string[], operand: () => Value, fold: (op: string, left: Value, right: Value) => Value) => (): Value => {
    let left = operand();
    for (let op = ops.find(isOp); op !== undefined; op = ops.find(isOp)) {
      take(op);
      left = fold(op, left, operand());
    }
    return left;
  };
  // Lowest precedence last; `unary` is declared below, hence the arrow.
  const equality = level(
    ["==", "!="],
    () => unary(),
    (op, l, r) => (op === "==" ? loose(l, r) : !loose(l, r)),
  );
  const and = level(["&&"], equality, (_, l, r) => (truthy(l) ? r : l));
  const or = level(["||"], and, (_, l, r) => (truthy(l) ? l : r));
  const unary = (): Value => {
    if (isOp("!")) {
      take("!");
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): Value => {
    const t = take();
    if (t.kind === "op" && t.value === "(") {
      const v = or();
      take(")");
      return v;
    }
    if (t.kind === "str" || t.kind === "num") return t.value;
    if (t.kind !== "id") throw new Error(`unexpected ${t.value} in ${expression}`);
    if (isOp("(")) return call(t.value);
    if (t.value === "true") return true;
    if (t.value === "false") return false;
    if (t.value === "null") return null;
    return lookup(t.value);
  };
  const call = (name: string): Value => {
    take("(");
    const args: Value[] = [];
    while (!isOp(")")) {
      args.push(or());
      if (isOp(",")) take(",");
    }
    take(")");
    const [a = null, b = null] = args;
    switch (name) {
      case "startsWith":
        return text(a).toLowerCase().startsWith(text(b).toLowerCase());
      case "endsWith":
        return text(a).toLowerCase().endsWith(text(b).toLowerCase());
      case "contains":
        return Array.isArray(a) ? a.some((x) => loose(x, b)) : text(a).toLowerCase().includes(text(b).toLowerCase());
      case "format":
        return text(a).replace(/\{(\d+)\}/g, (_, i: string) => text(args[Number(i) + 1] ?? null));
      case "success":
        return status.ok;
      case "failure":
        return !status.ok;
      case "always":
        return true;
      case "cancelled":
        return false;
      default:
        throw new Error(`unsupported function ${name}() in ${expression}`);
    }
  };
  const lookup = (dotted: string): Value => {
    const [head = "", ...rest] = dotted.split(".");
    if (!Object.hasOwn(contexts, head)) throw new Error(`unknown context ${head} in ${expression}`);
    let v: Value = contexts[head] ?? null;
    for (const key of rest) {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
      v = Object.hasOwn(v, key) ? (v[key] ?? null) : null;
    }
    return v;
  };
  const value = or();
  if (pos !== tokens.length) throw new Error(`unexpected ${tokens[pos]?.value} in ${expression}`);
  return value;
}

/** A string with ${{ }} parts: each replaced by its value as text (GitHub's interpolation). */
export function interpolate(template: string, contexts: Contexts, status?: Status): string {
  return template.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => text(evaluate(expr, contexts, status)));
}

/** A job's or step's `if:`: with or without ${{ }}; status functions default to success(). */
export function condition(expression: string | boolean | undefined, contexts: Contexts, status: Status): boolean {
  if (expression === undefined) return status.ok;
  if (typeof expression === "boolean") return expression;
  const bare = expression.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
  const usesStatus = /\b(success|failure|always|cancelled)\s*\(/.test(bare);
  const v = truthy(evaluate(bare, contexts, status));
  return usesStatus ? v : status.ok && v;
}
