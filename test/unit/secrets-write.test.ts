import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { credentialsValue, nextDbUser } from "../../src/rotation/db.js";
import { isFinished, localRotations, newRotationId, versionDescription, type RotationRecord } from "../../src/rotation/record.js";
import { EVALAP_APP_SECRETS, GENERATED_APP_SECRETS, secretKind } from "../../src/secrets/catalogue.js";
import { generateDbPassword, generateToken } from "../../src/secrets/generate.js";
import { fingerprint } from "../../src/secrets/versions.js";
import { REPO } from "../helpers/project.js";

describe("generated values", () => {
  it("tokens are 256 random bits in base64url, never twice the same", () => {
    const tokens = new Set(Array.from({ length: 200 }, () => generateToken()));
    expect(tokens.size).toBe(200);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("database passwords meet the RDB policy (lower, upper, digit, special; 8-128) and need no URL encoding", () => {
    for (let i = 0; i < 500; i++) {
      const p = generateDbPassword();
      expect(p).toHaveLength(32);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[0-9]/);
      expect(p).toMatch(/[-_.]/);
      expect(encodeURIComponent(p)).toBe(p);
    }
  });

  it("the guaranteed classes are not always in the same places (shuffled)", () => {
    const firsts = new Set(Array.from({ length: 200 }, () => generateDbPassword().charAt(0)));
    expect(firsts.size).toBeGreaterThan(10);
  });

  it("a fingerprint is 12 hex digits of the SHA-256, and does not contain the value", () => {
    expect(fingerprint("hello")).toBe("2cf24dba5fb0");
    expect(fingerprint("hello")).not.toContain("hello");
  });
});

describe("which secrets the CLI writes", () => {
  it("generated application secrets, external ones, the database credentials, tofu's and unknown names", () => {
    expect(secretKind("ADMIN_TOKEN")).toEqual({ kind: "app", generated: true });
    expect(secretKind("OPENAI_API_KEY")).toEqual({ kind: "app", generated: false });
    expect(secretKind("OPENAI_API_KEY", ["OPENAI_API_KEY"])).toEqual({ kind: "app", generated: true });
    expect(secretKind("DB_APP_CREDENTIALS")).toEqual({ kind: "db-credentials" });
    expect(secretKind("POSTGRES_URL")).toMatchObject({
      kind: "derived",
      why: expect.stringMatching(/derived by tofu.*rotate DB_APP_CREDENTIALS/),
    });
    expect(secretKind("DB_ADMIN_PASSWORD")).toMatchObject({ kind: "derived" });
    expect(secretKind("GITHUB_TOKEN")).toMatchObject({ kind: "unknown", why: expect.stringMatching(/EvalAP does not read GITHUB_TOKEN/) });
    // The config's list cannot make an unknown name one EvalAP reads.
    expect(secretKind("GITHUB_TOKEN", ["GITHUB_TOKEN"]).kind).toBe("unknown");
    for (const g of GENERATED_APP_SECRETS) expect(EVALAP_APP_SECRETS).toContain(g);
  });

  it("the catalogue is the platform module's list of names EvalAP reads (one list, two languages)", async () => {
    const hcl = await readFile(path.join(REPO, "infra/modules/evalap-platform/variables.tf"), "utf8");
    const block = hcl.slice(hcl.indexOf('variable "app_secret_names"'));
    const list = /contains\(\[([\s\S]*?)\]/.exec(block.slice(0, block.indexOf("\n}\n")))?.[1] ?? "";
    const names = [...list.matchAll(/"([A-Z0-9_]+)"/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(5);
    expect([...names].sort()).toEqual([...EVALAP_APP_SECRETS].sort());
  });
});

describe("database users take turns", () => {
  it("the next user is the other of the two; anything else is refused with what to do", () => {
    expect(nextDbUser(["evalap_a", "evalap_b"], "evalap_a")).toBe("evalap_b");
    expect(nextDbUser(["evalap_a", "evalap_b"], "evalap_b")).toBe("evalap_a");
    expect(() => nextDbUser(["evalap_a", "evalap_b"], "evalap")).toThrow(/lists evalap_a, evalap_b/);
    expect(() => nextDbUser([], "evalap_a")).toThrow(/no users/);
  });

  it("credentials are the JSON the module writes", () => {
    expect(JSON.parse(credentialsValue("evalap_b", "p@ss"))).toEqual({ user: "evalap_b", password: "p@ss" });
  });
});

describe("rotation records", () => {
  let dir = "";
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const record = (id: string, step: RotationRecord["step"]): RotationRecord => ({
    id,
    environment: "staging",
    step,
    secrets: [{ name: "ADMIN_TOKEN", secretId: "fr-par/x", previous: 1, created: null, fingerprint: null, source: "generated" }],
    startedAt: "2026-12-01T00:00:00.000Z",
    updatedAt: "2026-12-01T00:00:00.000Z",
    actor: "ops",
    host: "ci",
    runId: "run",
    graceMs: 0,
  });

  it("ids sort by time; the store gives the newest back as saved, written atomically (no temp file left)", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rotations-"));
    const store = localRotations(dir);
    expect(await store.latest()).toBeNull();
    const a = newRotationId(new Date("2026-12-01T10:00:00Z"));
    const b = newRotationId(new Date("2026-12-01T11:00:00Z"));
    expect(a < b).toBe(true);
    await store.save(record(b, "versions-created"));
    await store.save(record(a, "done"));
    expect(await store.latest()).toMatchObject({ id: b, step: "versions-created" });
    expect((await readdir(dir)).sort()).toEqual([`${a}.json`, `${b}.json`]);
  });

  it("a record it cannot read is an error naming where it is, not a rotation started over", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rotations-"));
    const store = localRotations(dir);
    await store.save(record(newRotationId(), "started"));
    const [file] = await readdir(dir);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(path.join(dir, file ?? ""), JSON.stringify({ id: "x" }));
    await expect(store.latest()).rejects.toThrow(new RegExp(`rotation record .*${file ?? ""}.* is not one this CLI reads`));
  });

  it("finished steps, and the description that marks a rotation's versions", () => {
    expect(["done", "undone", "failed"].every((s) => isFinished(s as RotationRecord["step"]))).toBe(true);
    expect(["started", "versions-created", "released", "undoing"].some((s) => isFinished(s as RotationRecord["step"]))).toBe(false);
    expect(versionDescription("20261201T100000Z-abcd")).toBe("evalap-infra rotation 20261201T100000Z-abcd");
  });
});
