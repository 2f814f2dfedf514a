import { describe, expect, it } from "vitest";
import type { EvalapError } from "../../src/core/errors.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import type { ReleaseRecord, ReleaseStatus } from "../../src/ledger/types.js";
import { currentHealthyRelease } from "../../src/operations/promote.js";

const release = (id: string, status: ReleaseStatus, tag = id): ReleaseRecord => ({
  id,
  environment: "staging",
  kind: "deploy",
  createdAt: "2026-12-01T00:00:00Z",
  updatedAt: "2026-12-01T00:00:00Z",
  actor: "ci",
  host: "runner",
  runId: "run",
  gitRevision: null,
  configHash: "sha256:0",
  inputs: { vars: {} },
  images: { evalap: `rg.fr-par.scw.cloud/evalap/evalap:${tag}` },
  status,
});

const refusal = (list: ReleaseRecord[]): EvalapError => {
  try {
    currentHealthyRelease("staging", list);
  } catch (err) {
    return err as EvalapError;
  }
  throw new Error("expected a refusal");
};

describe("deploy --images-from: the release the source runs healthy now", () => {
  it("is the newest release when it is healthy; a superseded pending one is passed over", () => {
    expect(currentHealthyRelease("staging", [release("00000003", "healthy"), release("00000002", "rolled_back")]).id).toBe("00000003");
    expect(currentHealthyRelease("staging", [release("00000004", "superseded"), release("00000003", "healthy")]).id).toBe("00000003");
  });

  it("refuses (exit 5) when the newest release is not healthy, instead of promoting an older one", () => {
    for (const status of ["pending", "failed", "rolled_back", "unpersisted"] as const) {
      const err = refusal([release("00000005", status), release("00000004", "healthy")]);
      expect(err.code).toBe("promotion_refused");
      expect(err.exitCode).toBe(ExitCode.GuardRefused);
      expect(err.message).toContain("00000005");
      expect(err.hint).toMatch(/evalap-infra (deploy|rollback) staging/);
    }
  });

  it("refuses an empty ledger and a release that names no image", () => {
    expect(refusal([]).message).toMatch(/no release to promote/);
    expect(refusal([{ ...release("00000001", "healthy"), images: {} }]).message).toMatch(/names no image/);
  });
});
