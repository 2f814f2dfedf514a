import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import { createClient } from "@scaleway/sdk-client";
import { Secretv1beta1 } from "@scaleway/sdk-secret";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";

/**
 * The Secret Manager calls a rotation makes, through the real SDK (@scaleway/sdk-secret) against the
 * sandbox: new versions (disabling the previous one or not), enable/disable, access by revision
 * number, `latest` and `latest_enabled`, lists filtered by status, and the data's CRC32.
 */
const TOKEN = "5b8d1f3e-7a2c-4e9b-8d6f-1c3a5e7b9d02";
const PROJECT = "2c6e8a4f-1d3b-4f5a-9e7c-3b5d7f9a1c24";
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const text = (data: string) => Buffer.from(data, "base64").toString("utf8");

describe("Secret Manager versions through @scaleway/sdk-secret", () => {
  let sandbox: Sandbox | undefined;
  let dataDir = "";
  let api: Secretv1beta1.API;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-secret-versions-"));
    sandbox = await startSandbox({ dataDir, token: TOKEN, account: { organizationId: PROJECT, defaultProjectId: PROJECT } });
    const client = createClient({
      accessKey: "SCWXXXXXXXXXXXXXXXXX",
      secretKey: TOKEN,
      apiURL: sandbox.url,
      defaultOrganizationId: PROJECT,
      defaultProjectId: PROJECT,
      defaultRegion: "fr-par",
    });
    api = new Secretv1beta1.API(client);
  });

  afterAll(async () => {
    await sandbox?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("rotates: a new version disabling the previous, access by latest_enabled / latest / number, enable, disable, list by status", async () => {
    const secret = await api.createSecret({ projectId: PROJECT, name: "postgres-url", protected: false, type: "opaque" });
    const secretId = secret.id;
    const access = (revision: string) => api.accessSecretVersion({ secretId, revision });
    const revisions = async (status?: Secretv1beta1.SecretVersionStatus[]) =>
      (await api.listSecretVersions({ secretId, ...(status ? { status } : {}) })).versions.map((v) => [v.revision, v.status]);

    // disable_previous with no previous version does nothing.
    const v1 = await api.createSecretVersion({ secretId, data: b64("url-1"), disablePrevious: true });
    expect(v1).toMatchObject({ revision: 1, status: "enabled", latest: true });

    // A rotation: the new version disables the one before it.
    const v2 = await api.createSecretVersion({ secretId, data: b64("url-2"), disablePrevious: true });
    expect(v2).toMatchObject({ revision: 2, status: "enabled", latest: true });
    expect(await api.getSecretVersion({ secretId, revision: "1" })).toMatchObject({ status: "disabled", latest: false });
    expect(await access("latest_enabled")).toMatchObject({ revision: 2, type: "opaque" });
    expect(text((await access("latest")).data)).toBe("url-2");
    // A disabled version cannot be read (412).
    await expect(access("1")).rejects.toMatchObject({ status: 412 });

    // Without disable_previous, the one before stays enabled.
    await api.createSecretVersion({ secretId, data: b64("url-3") });
    expect(await revisions()).toEqual([
      [1, "disabled"],
      [2, "enabled"],
      [3, "enabled"],
    ]);

    // A rollback of the rotation: the newest disabled, the previous readable again as latest_enabled.
    expect(await api.disableSecretVersion({ secretId, revision: "3" })).toMatchObject({ revision: 3, status: "disabled" });
    const rolledBack = await access("latest_enabled");
    expect({ revision: rolledBack.revision, data: text(rolledBack.data) }).toEqual({ revision: 2, data: "url-2" });
    // `latest` is the newest revision whatever its status: disabled, so refused.
    await expect(access("latest")).rejects.toMatchObject({ status: 412 });

    expect(await api.enableSecretVersion({ secretId, revision: "1" })).toMatchObject({ revision: 1, status: "enabled" });
    expect(text((await access("1")).data)).toBe("url-1");
    expect(await revisions(["enabled"])).toEqual([
      [1, "enabled"],
      [2, "enabled"],
    ]);
    expect(await revisions(["disabled"])).toEqual([[3, "disabled"]]);
    expect(await revisions(["enabled", "disabled"])).toHaveLength(3);
    // A revision that does not exist.
    await expect(access("9")).rejects.toMatchObject({ status: 404 });
  });

  it("checks a version's CRC32 when given, and answers it on access", async () => {
    const secret = await api.createSecret({ projectId: PROJECT, name: "admin-token", protected: false, type: "opaque" });
    const secretId = secret.id;
    const data = Buffer.from("token-value", "utf8");
    await api.createSecretVersion({ secretId, data: data.toString("base64"), dataCrc32: crc32(data) });
    expect(await api.accessSecretVersion({ secretId, revision: "1" })).toMatchObject({ revision: 1, dataCrc32: crc32(data) });
    // A checksum that does not match the data is refused, and no version is made.
    await expect(api.createSecretVersion({ secretId, data: b64("other-value"), dataCrc32: crc32(data) })).rejects.toMatchObject({
      status: 400,
    });
    expect((await api.listSecretVersions({ secretId })).totalCount).toBe(1);
    // Without one, access answers none (null on the wire, as recorded).
    await api.createSecretVersion({ secretId, data: b64("token-2") });
    expect((await api.accessSecretVersion({ secretId, revision: "2" })).dataCrc32).toBeNull();
  });
});
