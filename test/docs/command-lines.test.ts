import { describe, expect, it } from "vitest";
import { commandLines, parseError } from "./command-lines.js";
import { docFiles, read } from "./markdown.js";

describe("every evalap-infra command line in README.md and docs/ parses", () => {
  it.each(docFiles())("%s", async (file) => {
    const failures: string[] = [];
    for (const cmd of commandLines(read(file))) {
      const error = await parseError(cmd.args);
      if (error !== null) failures.push(`${file}:${cmd.line}: ${cmd.text}\n    ${error}`);
    }
    expect(failures, failures.join("\n")).toEqual([]);
  });
});

describe("the check itself", () => {
  it("splits a line as the shell does", () => {
    const [line] = commandLines(
      "```sh\nevalap-infra secrets set staging OPENAI_API_KEY < openai.key   # from standard input\n```\n" +
        '```sh\n$ evalap-infra deploy staging --var \'images={"evalap":"x"}\' 2>&1 | tee log\n```\n',
    );
    expect(line?.args).toEqual(["secrets", "set", "staging", "OPENAI_API_KEY"]);
    expect(commandLines('```sh\n$ evalap-infra deploy staging --var \'images={"evalap":"x"}\' 2>&1 | tee log\n```\n')[0]?.args).toEqual([
      "deploy",
      "staging",
      "--var",
      'images={"evalap":"x"}',
    ]);
    // A placeholder is an argument; a redirection (with its space) is not.
    expect(commandLines("```sh\nevalap-infra rollback <env> --to <release> < /dev/null\n```\n")[0]?.args).toEqual([
      "rollback",
      "<env>",
      "--to",
      "<release>",
    ]);
    // Synopses (```text) and prose are not command lines.
    expect(commandLines("```text\nevalap-infra deploy <environment> [options]\n```\nevalap-infra deploy\n")).toEqual([]);
  });

  it("fails an unknown command, an unknown option, a missing argument and a refused value", async () => {
    expect(await parseError(["deploy", "staging"])).toBeNull();
    expect(await parseError(["releases", "list", "staging", "--json"])).toBeNull();
    expect(await parseError(["--help"])).toBeNull();
    expect(await parseError(["deplo", "staging"])).toMatch(/unknown command/);
    expect(await parseError(["deploy", "staging", "--force"])).toMatch(/unknown option '--force'/);
    expect(await parseError(["deploy"])).toMatch(/missing required argument 'environment'/);
    expect(await parseError(["deploy", "staging", "--lock-timeout", "soon"])).toMatch(/--lock-timeout/);
    expect(await parseError(["backup", "run", "staging", "--tier", "hourly"])).toMatch(/hourly/);
    expect(await parseError(["releases"])).not.toBeNull();
  });
});
