import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { CommanderError, type Command } from "commander";
import { describe, expect, it } from "vitest";
import { commandPath } from "../../src/cli/command.js";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { buildProgram, commandPathOf, rootHelpText } from "../../src/cli/main.js";
import { EXIT_CODE_DESCRIPTIONS, ExitCode } from "../../src/core/exit-codes.js";
import { REPO } from "../helpers/project.js";

const COMMANDS_DIR = path.join(REPO, "src", "cli", "commands");

/** Help of a command as commander renders it, without printing. */
function helpOf(words: string[]): string {
  let cmd: Command = buildProgram();
  for (const w of words) {
    const sub = cmd.commands.find((c) => c.name() === w);
    if (!sub) throw new Error(`no command ${words.join(" ")}`);
    cmd = sub;
  }
  let text = "";
  cmd.configureOutput({ writeOut: (s) => void (text += s) });
  cmd.outputHelp();
  return text;
}

/** Parses a command line the way main() does, without running anything: returns the usage error. */
async function usageError(args: string[]): Promise<CommanderError> {
  const program = buildProgram();
  // Subcommands copied the output settings when they were added: quiet each one.
  const quiet = (cmd: Command): void => {
    cmd.configureOutput({ writeErr: () => undefined, writeOut: () => undefined, outputError: () => undefined });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(["node", "evalap-infra", ...args]);
  } catch (err) {
    if (err instanceof CommanderError) return err;
    throw err;
  }
  throw new Error(`${args.join(" ")} parsed without error`);
}

describe("commands as data", () => {
  it("registers every definition under its path, with its arguments and examples", () => {
    const program = buildProgram();
    for (const def of COMMANDS) {
      const words = commandPath(def).split(" ");
      const help = helpOf(words);
      expect(help).toContain(`Usage: evalap-infra ${commandPath(def)}`);
      for (const example of def.examples) expect(help).toContain(`$ ${example}`);
      // Descriptions are wrapped to the width of the help.
      for (const arg of def.arguments ?? []) expect(help.replace(/\s+/g, " ")).toContain(arg.description);
    }
    expect(program.commands.map((c) => c.name())).toContain("scan");
    expect(program.commands.map((c) => c.name())).not.toContain("audit");
  });

  it("subcommand help lists the global flags", () => {
    for (const words of [["deploy"], ["releases", "list"], ["config", "schema"]]) {
      const help = helpOf(words);
      expect(help).toContain("Global Options:");
      for (const flag of ["--json", "--config <file>", "--no-color", "--verbose"]) expect(help).toContain(flag);
    }
  });

  it("the root help gives one example per command and every exit code with its meaning, from one source", () => {
    const text = rootHelpText(COMMANDS);
    for (const def of COMMANDS) expect(text).toContain(`$ ${def.examples[0] ?? ""}`);
    for (const code of Object.values(ExitCode)) {
      expect(EXIT_CODE_DESCRIPTIONS[code]).toBeTruthy();
      expect(text).toMatch(new RegExp(`^  ${code} +${EXIT_CODE_DESCRIPTIONS[code].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    }
  });

  it("README's exit-code table says what the help says, code by code", async () => {
    const readme = await readFile(path.join(REPO, "README.md"), "utf8");
    const rows = readme
      .split("\n")
      .filter((l) => /^\| \d+ \| /.test(l))
      .map((l) => l.replace(/`/g, ""));
    const expected = Object.values(ExitCode).map((code) => `| ${code} | ${EXIT_CODE_DESCRIPTIONS[code]} |`);
    expect(rows).toEqual(expected);
  });

  it("commander's parsers refuse malformed values before anything runs", async () => {
    expect((await usageError(["deploy", "staging", "--lock-timeout", "5x"])).message).toMatch(/--lock-timeout.*500ms/s);
    expect((await usageError(["plan", "staging", "--var", "novalue"])).message).toMatch(/--var.*name=value/s);
    expect((await usageError(["deploy", "staging", "--image", "evalap="])).message).toMatch(/--image.*service/s);
    expect((await usageError(["releases", "list", "staging", "--limit", "0"])).message).toMatch(/--limit.*positive whole number/s);
  });

  it("a usage error names the command path, not the first word of the command line", () => {
    const program = buildProgram();
    expect(commandPathOf(program, ["--json", "deploy"])).toBe("deploy");
    expect(commandPathOf(program, ["--json", "-c", "other.json", "releases", "list", "--limit", "x"])).toBe("releases list");
    expect(commandPathOf(program, ["--config", "lock", "lock", "status"])).toBe("lock status");
    expect(commandPathOf(program, ["--config=x.json", "--json", "config", "schema", "extra"])).toBe("config schema");
    expect(commandPathOf(program, ["--json", "deplyo", "staging"])).toBe("evalap-infra");
  });

  it("definition modules stay light: only commander, the command types and the flag parsers at load", async () => {
    const files = (await readdir(COMMANDS_DIR)).filter((f) => f.endsWith(".command.ts") || f === "index.ts");
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = await readFile(path.join(COMMANDS_DIR, file), "utf8");
      const imports = [...text.matchAll(/^import (?!type )[^;]*? from "([^"]+)";$/gms)].map((m) => m[1]);
      for (const from of imports) {
        const light = ["commander", "../command.js", "../flags.js"].includes(from ?? "") || /^\.\/[a-z-]+\.command\.js$/.test(from ?? "");
        expect(light, `${file} imports ${from}`).toBe(true);
      }
    }
  });
});
