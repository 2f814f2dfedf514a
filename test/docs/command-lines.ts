import { CommanderError, type Command } from "commander";
import type { CommandDefinition } from "../../src/cli/command.js";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { buildProgram } from "../../src/cli/main.js";
import { fencedLines, type FencedLine } from "./markdown.js";

/** Fenced blocks that hold no command line to run: the references' synopses (`text`), data, diagrams. */
const NOT_SHELL = new Set(["text", "json", "hcl", "yaml", "mermaid", "promql"]);

export interface CommandLine {
  line: number;
  text: string;
  args: string[];
}

/**
 * Every `evalap-infra …` (or `node bin/evalap-infra.js …`) command line of a Markdown file's fenced
 * blocks, split into words as the shell would: quotes removed, a trailing `# comment`, redirections
 * (`< file`, `> file`, `2>&1`) and what follows a pipe, `&&` or `;` left out.
 */
export function commandLines(markdown: string): CommandLine[] {
  const out: CommandLine[] = [];
  for (const l of fencedLines(markdown)) {
    if (NOT_SHELL.has(l.lang)) continue;
    const start = commandStart(l);
    if (start === null) continue;
    out.push({ line: l.line, text: l.text.trim(), args: shellWords(l.text.slice(start)) });
  }
  return out;
}

function commandStart(l: FencedLine): number | null {
  const m = /^(\s*(?:\$\s+)?)(?:evalap-infra|node bin\/evalap-infra\.js)(?=\s|$)/.exec(l.text);
  return m ? m[0].length : null;
}

const PLACEHOLDER = /^<[A-Za-z][\w.:/-]*>(?=\s|$)/;

function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let redirect = false;
  const end = (): void => {
    if (word !== null) {
      if (redirect) redirect = false;
      else words.push(word);
    }
    word = null;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      word = (word ?? "") + text.slice(i + 1, close === -1 ? undefined : close);
      i = close === -1 ? text.length : close;
    } else if (/\s/.test(c)) {
      end();
    } else if (word === null && (c === "#" || c === "|" || c === ";" || text.startsWith("&&", i))) {
      break;
    } else if (word === null && PLACEHOLDER.exec(text.slice(i)) !== null) {
      // `<env>`, `<release-id>`: a placeholder the reader replaces, an argument (a redirection has a space: `< file`).
      const [placeholder = ""] = PLACEHOLDER.exec(text.slice(i)) ?? [];
      word = placeholder;
      i += placeholder.length - 1;
    } else if (c === "<" || c === ">") {
      // `2>&1`, `> out`, `< in`: the redirection and its target are not arguments.
      if (word !== null && /^\d+$/.test(word)) word = null;
      end();
      redirect = true;
      if (text[i + 1] === "&") {
        i += 2;
        while (i < text.length && !/\s/.test(text[i] ?? "")) i++;
        redirect = false;
      }
    } else if (c === "\\" && i === text.length - 1) {
      // a continuation: the next line is not read (keep the lines of docs whole)
    } else {
      word = (word ?? "") + c;
    }
  }
  end();
  return words;
}

/**
 * Parses `args` with the real program built from the command definitions, every `run` replaced by
 * a no-op: an unknown command or option, a missing argument or a value the option's parser refuses
 * is commander's error, returned; null when the line parses.
 */
export async function parseError(args: readonly string[]): Promise<string | null> {
  const noop: ReadonlyArray<CommandDefinition<never>> = COMMANDS.map((def) => ({ ...def, run: () => Promise.resolve(0) }));
  const program = buildProgram(noop);
  const quiet = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.configureOutput({ writeErr: () => undefined, writeOut: () => undefined, outputError: () => undefined });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  const before = process.exitCode;
  try {
    await program.parseAsync([...args], { from: "user" });
    return null;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? null : err.message;
    throw err;
  } finally {
    process.exitCode = before;
  }
}
