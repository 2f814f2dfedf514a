/**
 * The series selectors of a PromQL expression: each metric name it selects and the labels its
 * matchers test, for the check that they exist on the data source (a rule on a misspelt metric, or
 * matching a label the metric does not have, matches nothing and never fires, silently). A small
 * tokenizer, not a parser: it skips strings, range and subquery brackets, function and aggregation
 * calls, the label lists of by/without/on/ignoring/group_left/group_right, and offset durations.
 * An `{__name__="x"}` matcher counts as metric x.
 */
export interface Selector {
  metric: string;
  /** Label names its matchers test (`__name__` aside). */
  labels: string[];
}

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan", "atan2"]);
const LABEL_LIST_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

type Token = { kind: "ident" | "string" | "number" | "punct"; text: string };

/** The metric names an expression selects, sorted. */
export function metricNames(expr: string): string[] {
  return [...new Set(selectors(expr).map((s) => s.metric))].sort();
}

export function selectors(expr: string): Selector[] {
  const tokens = tokenize(expr);
  const out: Selector[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined) break;
    if (t.kind === "punct" && t.text === "{") {
      // A selector without a name before it (`{__name__="x", a="b"}`).
      const m = matchers(tokens, i);
      i = m.end;
      if (m.name !== undefined) out.push({ metric: m.name, labels: m.labels });
      continue;
    }
    if (t.kind === "punct" && t.text === "[") {
      i = skipUntil(tokens, i, "[", "]");
      continue;
    }
    if (t.kind !== "ident") continue;
    const word = t.text.toLowerCase();
    const next = tokens[i + 1];
    if (LABEL_LIST_KEYWORDS.has(word)) {
      if (next?.text === "(") i = skipUntil(tokens, i + 1, "(", ")");
      continue;
    }
    if (word === "offset") {
      i += 1; // the duration
      continue;
    }
    if (KEYWORDS.has(word)) continue;
    if (next?.text === "(") continue; // a function or an aggregation
    if (next?.kind === "ident" && ["by", "without"].includes(next.text.toLowerCase())) continue; // `sum by (x) (...)`
    if (next?.text === "{") {
      const m = matchers(tokens, i + 1);
      out.push({ metric: t.text, labels: m.labels });
      i = m.end;
    } else out.push({ metric: t.text, labels: [] });
  }
  return out;
}

/** A `{...}` matcher list: the labels it tests and a `__name__="x"`; `end` is the index of the closing brace. */
function matchers(tokens: Token[], start: number): { labels: string[]; name?: string; end: number } {
  const labels: string[] = [];
  let name: string | undefined;
  let i = start + 1;
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    if (t?.text === "}") break;
    const op = tokens[i + 1];
    if (t?.kind !== "ident" || op?.kind !== "punct" || !["=", "!=", "=~", "!~"].includes(op.text)) continue;
    if (t.text === "__name__") {
      if (op.text === "=" && tokens[i + 2]?.kind === "string") name = tokens[i + 2]?.text;
    } else if (!labels.includes(t.text)) labels.push(t.text);
  }
  return { labels, ...(name === undefined ? {} : { name }), end: i };
}

function skipUntil(tokens: Token[], start: number, open: string, close: string): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i];
    if (t?.kind !== "punct") continue;
    if (t.text === open) depth++;
    else if (t.text === close && --depth === 0) return i;
  }
  return tokens.length;
}

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] ?? "";
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < expr.length && expr[i] !== "\n") i++;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      let text = "";
      while (j < expr.length && expr[j] !== c) {
        if (expr[j] === "\\" && c !== "`") j++;
        text += expr[j] ?? "";
        j++;
      }
      out.push({ kind: "string", text });
      i = j + 1;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?[a-z]*)/.exec(expr.slice(i));
      const text = m?.[0] ?? c;
      out.push({ kind: "number", text });
      i += text.length;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i));
      const text = m?.[0] ?? c;
      out.push({ kind: "ident", text });
      i += text.length;
    } else {
      const two = expr.slice(i, i + 2);
      const text = ["==", "!=", ">=", "<=", "=~", "!~"].includes(two) ? two : c;
      out.push({ kind: "punct", text });
      i += text.length;
    }
  }
  return out;
}
