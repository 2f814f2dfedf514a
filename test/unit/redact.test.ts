import { describe, expect, it } from "vitest";
import { EventRecorder } from "../../src/events/index.js";
import { JsonReporter, HumanReporter, plainColors, Redactor, REDACTED } from "../../src/report/index.js";

describe("Redactor", () => {
  it("replaces registered values wherever they appear, longest first", () => {
    const r = new Redactor();
    r.add("s3cr3t-value");
    r.add("s3cr3t-value-longer");
    expect(r.redact("a s3cr3t-value-longer and s3cr3t-value.")).toBe(`a ${REDACTED} and ${REDACTED}.`);
  });

  it("registers every leaf of structured values, and their JSON-escaped forms", () => {
    const r = new Redactor();
    r.add({ url: 'postgres://u:p"ss-word@h/db', list: ["token-abcdef"] });
    expect(r.redact(JSON.stringify({ x: 'postgres://u:p"ss-word@h/db' }))).toBe(`{"x":"${REDACTED}"}`);
    expect(r.redact("token-abcdef")).toBe(REDACTED);
  });

  it("ignores short values that would shred ordinary output", () => {
    const r = new Redactor();
    r.add("yes");
    r.add(1);
    expect(r.redact("yes 1")).toBe("yes 1");
  });

  it("takes secrets from environment variables by name, not others", () => {
    const r = new Redactor();
    r.addFromEnvironment({
      SCW_SECRET_KEY: "11111111-2222-3333-4444-555555555555",
      TF_VAR_db_password: "pw-123456",
      HOME: "/root/home-dir",
      SCW_ACCESS_KEY: "SCWXXXXXXXXXXXXXXXXX",
    });
    expect(r.redact("11111111-2222-3333-4444-555555555555 pw-123456 /root/home-dir SCWXXXXXXXXXXXXXXXXX")).toBe(
      `${REDACTED} ${REDACTED} /root/home-dir SCWXXXXXXXXXXXXXXXXX`,
    );
  });

  it("the JSON and human reporters redact every line they write", () => {
    const r = new Redactor();
    r.add("hunter2-hunter2");
    const lines: string[] = [];
    const json = new JsonReporter(
      r,
      (l) => void lines.push(l),
      () => new Date(0),
    );
    const human = new HumanReporter(
      r,
      { colors: plainColors, spinner: null },
      (t) => void lines.push(t),
      (t) => void lines.push(t),
    );
    const events = new EventRecorder();
    events.emit({ type: "diagnostic", severity: "error", summary: "login failed for hunter2-hunter2" });
    events.emit({
      type: "result",
      command: "deploy",
      ok: false,
      exitCode: 1,
      durationMs: 5,
      error: { code: "x", message: "bad hunter2-hunter2" },
    });
    for (const e of events.events) {
      json.handle(e);
      human.handle(e);
    }
    expect(lines.join("")).not.toContain("hunter2-hunter2");
    expect(lines.join("")).toContain(REDACTED);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ schemaVersion: 1, time: "1970-01-01T00:00:00.000Z", type: "diagnostic" });
  });
});

describe("the human reporter's apply progress", () => {
  it("names the resource in flight the longest, not the last one started, and clears as they complete", () => {
    const texts: string[] = [];
    const spinner = { text: "", stopAndPersist: () => undefined, stop: () => undefined };
    const human = new HumanReporter(
      new Redactor(),
      {
        colors: plainColors,
        spinner: (text) => {
          spinner.text = text;
          return new Proxy(spinner, {
            set: (target, key, value: string) => {
              if (key === "text") texts.push(value);
              return Reflect.set(target, key, value);
            },
          });
        },
        timing: { spinnerTickMs: 3_600_000, now: () => 0 },
      },
      () => undefined,
      () => undefined,
    );
    const progress = (address: string, phase: "start" | "complete") =>
      human.handle({ type: "resource.progress", address, action: "create", phase });
    human.handle({ type: "step.started", step: "apply" });
    progress("rdb_instance.this", "start");
    progress("secret.a", "start");
    progress("secret.a", "complete");
    progress("data.secret_version.a", "start");
    progress("data.secret_version.a", "complete");
    progress("rdb_instance.this", "complete");
    human.close();
    expect(texts.map((t) => t.replace(/ \S+$/, ""))).toEqual([
      "apply create rdb_instance.this",
      "apply create rdb_instance.this (+1 more)",
      "apply create rdb_instance.this",
      "apply create rdb_instance.this (+1 more)",
      "apply create rdb_instance.this",
      "apply",
    ]);
  });
});
