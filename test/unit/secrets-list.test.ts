import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EvalapError } from "../../src/core/errors.js";
import { formatAge, formatMaxAge, isDue, secretOutputs, secretRef, secretsTable, secretStatus } from "../../src/secrets/index.js";
import type { StatusInput } from "../../src/secrets/index.js";
import { REPO } from "../helpers/project.js";

const DAY = 86_400_000;
const NOW = Date.parse("2026-12-01T12:00:00Z");
const at = (daysAgo: number) => new Date(NOW - daysAgo * DAY);

const input = (over: Partial<StatusInput> = {}): StatusInput => ({
  name: "ADMIN_TOKEN",
  secretId: "fr-par/11111111-1111-4111-8111-111111111111",
  secret: { name: "evalap-staging-admin-token", path: "/evalap/staging", protected: false, createdAt: at(100), updatedAt: at(10) },
  versions: [
    { revision: 1, status: "disabled", createdAt: at(100) },
    { revision: 2, status: "enabled", createdAt: at(10) },
    { revision: 3, status: "disabled", createdAt: at(1) },
  ],
  revisions: { ADMIN_TOKEN: 2, POSTGRES_URL: 1 },
  maxAgeMs: 90 * DAY,
  now: NOW,
  ...over,
});

describe("secrets list: one secret's status", () => {
  it("takes the highest enabled revision, its age, the counts, and compares it with the revision the containers run", () => {
    const s = secretStatus(input());
    expect(s).toMatchObject({
      latestEnabled: 2,
      latestEnabledAt: at(10).toISOString(),
      ageMs: 10 * DAY,
      versions: { enabled: 1, disabled: 2, total: 3 },
      usedBy: "containers",
      inUse: 2,
      current: true,
      due: false,
      missing: false,
      secretName: "evalap-staging-admin-token",
    });
  });

  it("a newer enabled version than the containers' is not current", () => {
    const s = secretStatus(input({ versions: [...input().versions, { revision: 4, status: "enabled", createdAt: at(0) }] }));
    expect(s).toMatchObject({ latestEnabled: 4, inUse: 2, current: false, versions: { enabled: 2, disabled: 2, total: 4 } });
  });

  it("a secret the containers do not read (the DB passwords) has no revision in use; a root without secret_revisions makes it unknown", () => {
    expect(secretStatus(input({ name: "DB_APP_PASSWORD" }))).toMatchObject({ usedBy: "none", inUse: null, current: null });
    expect(secretStatus(input({ revisions: null }))).toMatchObject({ usedBy: "unknown", inUse: null, current: null });
  });

  it("is due when its latest enabled version is older than the maximum, or it has none while one is set", () => {
    expect(secretStatus(input({ maxAgeMs: 9 * DAY })).due).toBe(true);
    expect(secretStatus(input({ maxAgeMs: 10 * DAY })).due).toBe(false);
    expect(secretStatus(input({ maxAgeMs: null })).due).toBe(false);
    expect(secretStatus(input({ versions: [{ revision: 1, status: "disabled", createdAt: at(1) }] }))).toMatchObject({
      latestEnabled: null,
      ageMs: null,
      due: true,
    });
    expect(isDue(null, null)).toBe(false);
    expect(isDue(5, 4)).toBe(true);
    expect(isDue(4, 4)).toBe(false);
  });

  it("a secret Secret Manager does not have is missing, with no versions", () => {
    expect(secretStatus(input({ secret: null, versions: [] }))).toMatchObject({
      missing: true,
      secretName: null,
      versions: { enabled: 0, disabled: 0, total: 0 },
      current: false,
    });
  });
});

describe("secrets list: formatting", () => {
  it("ages are coarse, maximum ages as configured", () => {
    expect([formatAge(null), formatAge(59_000), formatAge(42 * 60_000), formatAge(5 * 3_600_000 + 1), formatAge(12 * DAY + 5)]).toEqual([
      "-",
      "<1m",
      "42m",
      "5h",
      "12d",
    ]);
    expect([formatMaxAge(null), formatMaxAge(90 * DAY), formatMaxAge(36 * 3_600_000), formatMaxAge(1500), formatMaxAge(1)]).toEqual([
      "-",
      "90d",
      "36h",
      "1500ms",
      "1ms",
    ]);
  });

  it("a table with a header and one padded line per secret", () => {
    const lines = secretsTable([
      secretStatus(
        input({
          versions: [...input().versions, { revision: 4, status: "enabled", createdAt: new Date(NOW - 120_000) }],
          maxAgeMs: 60_000,
        }),
      ),
      secretStatus(input({ name: "DB_APP_PASSWORD", maxAgeMs: null })),
    ]);
    expect(lines).toEqual([
      "NAME             LATEST  AGE  ENABLED  DISABLED  TOTAL  IN USE  CURRENT  MAX AGE  DUE",
      "ADMIN_TOKEN      4       2m   2        2         4      2       NO       1m       DUE",
      "DB_APP_PASSWORD  2       10d  1        2         3      -       -        -",
    ]);
  });
});

describe("secrets list: the root's outputs", () => {
  it("splits regional ids and reads secret_revisions when the root has it", () => {
    expect(secretRef("fr-par/abc")).toEqual({ region: "fr-par", id: "abc" });
    expect(secretRef("abc")).toEqual({ region: "", id: "abc" });
    const o = secretOutputs("staging", {
      secret_ids: { sensitive: false, value: { ADMIN_TOKEN: "fr-par/a", DB_APP_PASSWORD: "nl-ams/b" } },
      secret_path: { sensitive: false, value: "/evalap/staging" },
      secret_revisions: { sensitive: false, value: { ADMIN_TOKEN: 3 } },
      project_id: { sensitive: false, value: "p" },
    });
    expect(o).toEqual({
      secrets: { ADMIN_TOKEN: { region: "fr-par", id: "a" }, DB_APP_PASSWORD: { region: "nl-ams", id: "b" } },
      path: "/evalap/staging",
      revisions: { ADMIN_TOKEN: 3 },
      projectId: "p",
    });
    const older = secretOutputs("staging", {
      secret_ids: { sensitive: false, value: {} },
      secret_path: { sensitive: false, value: "/evalap/staging" },
    });
    expect(older.revisions).toBeNull();
    expect(older.projectId).toBeUndefined();
  });

  it("a root with no outputs was never deployed: exit 9 naming the deploy", () => {
    let err: unknown;
    try {
      secretOutputs("staging", {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EvalapError);
    expect(err).toMatchObject({ code: "secrets_not_deployed", exitCode: 9 });
    expect((err as EvalapError).hint).toContain("evalap-infra deploy staging");
    // Outputs without secret_ids: not a root the CLI can read, named as such.
    expect(() => secretOutputs("staging", { environment: { sensitive: false, value: "staging" } })).toThrow(
      /secret_ids or secret_path output/,
    );
  });
});

describe("secrets list never reads a value", () => {
  it("no module of the command names the access endpoint (the one call that returns a secret's data)", async () => {
    const files = [
      ...(await readdir(path.join(REPO, "src/secrets"))).map((f) => path.join(REPO, "src/secrets", f)),
      path.join(REPO, "src/operations/secrets.ts"),
      path.join(REPO, "src/cli/commands/secrets.ts"),
    ];
    for (const f of files) {
      const text = (await readFile(f, "utf8")).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(text, f).not.toMatch(/accessSecretVersion|\/access\b/);
    }
  });
});
