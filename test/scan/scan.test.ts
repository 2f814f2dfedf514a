import { cp, mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { scanFile, mask, runScan } from "../../src/scan/index.js";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

// Planted values are assembled at run time so that this test file itself holds no literal
// secret for the scan (or any other scanner) to find.
const PLANTED_PASSWORD = ["S3cr3t", "Value", "x9Qz", "L7mK2pWq"].join("-");
const PLANTED_ACCESS_KEY = "SCW" + "A1B2C3D4E5F6G7H8J";
const PLANTED_SECRET_KEY = ["3f1c2a9e", "7b4d", "4e21", "9a6f", "0c5b8d7e1f23"].join("-");
const PLANTED_TOKEN = ["q8ZrT2", "vXk9Lm4", "Np7Wd3Ys", "Hb6Jc1Fg"].join("");
const PLANTED_PASSPHRASE = ["correct", "Horse", "Battery", "Staple", "42"].join("-");
const PLANTED_VALUES = [PLANTED_PASSWORD, PLANTED_ACCESS_KEY, PLANTED_SECRET_KEY, PLANTED_TOKEN, PLANTED_PASSPHRASE];

describe("scan of the repository", () => {
  it("passes", async () => {
    const report = await runScan(repoRoot);
    expect(report.findings, JSON.stringify(report.findings, null, 2)).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

describe("scan of a planted bad file", () => {
  let root = "";

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "evalap-scan-"));
    await cp(join(repoRoot, "infra"), join(root, "infra"), {
      recursive: true,
      filter: (src) => !src.includes(`${"/"}.terraform${"/"}`) && !src.endsWith("/.terraform"),
    });
    await writeFile(
      join(root, "infra", "bad.tf"),
      [
        "terraform {",
        "  required_providers {",
        '    aws = { source = "hashicorp/aws", version = "~> 5.0" }',
        '    random = "hashicorp/random"',
        "  }",
        "}",
        "",
        'provider "aws" {',
        '  region = "eu-west-3"',
        "}",
        "",
        'resource "aws_dynamodb_table" "lock" {',
        '  name = "tf-lock"',
        "}",
        "",
        'module "vpc" {',
        '  source = "terraform-aws-modules/vpc/aws"',
        "}",
        "",
        'variable "db_password" {',
        "  type      = string",
        "  sensitive = true",
        `  default   = "${PLANTED_PASSPHRASE}"`,
        "}",
        "",
        'resource "scaleway_rdb_user" "app" {',
        '  instance_id = "fr-par/11111111-1111-1111-1111-111111111111"',
        '  name        = "evalap"',
        `  password    = "${PLANTED_PASSWORD}"`,
        "}",
        "",
      ].join("\n"),
    );
    await mkdir(join(root, ".github", "workflows"), { recursive: true });
    await writeFile(
      join(root, ".github", "workflows", "deploy.yml"),
      [
        "env:",
        `  SCW_ACCESS_KEY: ${PLANTED_ACCESS_KEY}`,
        `  SCW_SECRET_KEY: ${PLANTED_SECRET_KEY}`,
        "  SCW_DEFAULT_PROJECT_ID: ${{ vars.SCW_DEFAULT_PROJECT_ID }}",
        "  AWS_SECRET_ACCESS_KEY: ${{ secrets.SCW_SECRET_KEY }}",
        `  WEBHOOK: https://hooks.example.org/${PLANTED_TOKEN}`,
        "",
      ].join("\n"),
    );
    await mkdir(join(root, "templates"), { recursive: true });
    await writeFile(
      join(root, "templates", "id_deploy"),
      ["-----BEGIN OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAA", "-----END OPENSSH PRIVATE KEY-----", ""].join("\n"),
    );
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("fails with the right rules", async () => {
    const report = await runScan(root);
    expect(report.ok).toBe(false);
    const rules = (file: string): string[] => report.findings.filter((f) => f.file === file).map((f) => f.rule);

    const tf = rules("infra/bad.tf");
    expect(tf).toContain("hardcoded-secret");
    expect(tf).toContain("forbidden-provider");
    expect(tf).toContain("forbidden-resource");
    expect(tf).toContain("forbidden-module-source");
    expect(tf).toContain("sensitive-variable-default");
    expect(report.findings.filter((f) => f.file === "infra/bad.tf" && f.rule === "forbidden-provider").length).toBeGreaterThanOrEqual(3);

    const password = report.findings.find(
      (f) => f.file === "infra/bad.tf" && f.rule === "hardcoded-secret" && f.message.includes('"password"'),
    );
    expect(password?.line).toBe(29);

    const wf = rules(".github/workflows/deploy.yml");
    expect(wf).toContain("scw-access-key");
    expect(wf).toContain("scw-secret-key");
    expect(wf).toContain("high-entropy-string");
    // ${{ secrets.X }} and ${{ vars.X }} references are fine.
    expect(report.findings.filter((f) => f.file === ".github/workflows/deploy.yml" && f.line >= 4 && f.line <= 5)).toEqual([]);

    expect(rules("templates/id_deploy")).toEqual(["private-key"]);

    // The repository's own files are still clean in the copy.
    expect(
      report.findings.filter((f) => !["infra/bad.tf", ".github/workflows/deploy.yml", "templates/id_deploy"].includes(f.file)),
    ).toEqual([]);
  });

  it("never echoes a planted value", async () => {
    const report = await runScan(root);
    const serialized = JSON.stringify(report);
    for (const value of PLANTED_VALUES) {
      expect(serialized.includes(value), `finding output leaks ${mask(value)}`).toBe(false);
    }
    const password = report.findings.find((f) => f.message.includes('"password"'));
    expect(password?.message).toContain(mask(PLANTED_PASSWORD));
  });
});

describe("scan rules", () => {
  const findings = (file: string, text: string): string[] => scanFile({ file, text }).map((f) => f.rule);

  it("ignores references, interpolations and environment lookups", () => {
    expect(
      findings(
        "infra/x/main.tf",
        ["  password = var.db_password", '  token    = "${local.t}"', '  secret_path = "/evalap/prod"'].join("\n"),
      ),
    ).toEqual([]);
    expect(findings(".github/workflows/ci.yml", ["  SCW_SECRET_KEY: ${{ secrets.SCW_SECRET_KEY }}", "  TOKEN: $TOKEN"].join("\n"))).toEqual(
      [],
    );
  });

  it("accepts mock placeholders in test files only", () => {
    const line = '  ADMIN_TOKEN = "mock-admin-token"';
    expect(findings("infra/staging/tests/staging.tftest.hcl", line)).toEqual([]);
    expect(findings("infra/staging/terraform.tfvars", line)).toEqual(["hardcoded-secret"]);
  });

  it("allows lock-file hashes and pinned action SHAs", () => {
    expect(findings("infra/staging/.terraform.lock.hcl", '    "h1:Zx8y5Jq2lP0wQv3Kc7RtM1nB4sD6fG9hJ2kL5zX8cV0=",')).toEqual([]);
    expect(findings(".github/workflows/ci.yml", "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683")).toEqual([]);
  });

  it("flags random-looking tokens but not identifiers, paths or KEY=value pairs", () => {
    expect(findings("templates/app.env", `WEBHOOK_URL=https://hooks.example.org/${PLANTED_TOKEN}`)).toEqual(["high-entropy-string"]);
    expect(findings("infra/README.md", "SCW_DEFAULT_ZONE=fr-par-1 modules/cockpit-monitoring/README SecretManagerSecretAccess")).toEqual(
      [],
    );
  });

  it("judges base64 of readable text by what it encodes: a mock's JSON passes, a token inside it does not", () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const mock = b64('{"user":"evalap_a","password":"mock"}');
    expect(findings("infra/modules/x/tests/x.tftest.hcl", `      data = "${mock}"`)).toEqual([]);
    const hidden = b64(`{"user":"evalap_a","password":"${PLANTED_TOKEN}"}`);
    expect(findings("infra/modules/x/tests/x.tftest.hcl", `      data = "${hidden}"`)).toEqual(["high-entropy-string"]);
    // Bytes that are not text (a random key) are judged as base64: still flagged.
    const binary = Buffer.from([1, 255, 7, 200, ...Buffer.from(PLANTED_TOKEN)]).toString("base64");
    expect(findings("templates/app.env", `BLOB=${binary}`)).toEqual(["high-entropy-string"]);
  });

  it("keeps IAM and projects in infra/bootstrap", () => {
    expect(findings("infra/modules/secret-manager/main.tf", 'resource "scaleway_iam_policy" "reader" {\n}\n')).toEqual([
      "iam-outside-bootstrap",
    ]);
    expect(findings("infra/staging/main.tf", 'resource "scaleway_account_project" "p" {\n}\n')).toEqual(["iam-outside-bootstrap"]);
    expect(findings("infra/bootstrap/iam.tf", 'resource "scaleway_iam_application" "ci" {\n}\n')).toEqual([]);
    // Reading a project is fine anywhere: the roots check they were given their own.
    expect(findings("infra/modules/evalap-platform/main.tf", 'data "scaleway_account_project" "current" {\n}\n')).toEqual([]);
  });

  it("accepts built-in terraform_data and rejects other providers' resources", () => {
    expect(findings("infra/m/main.tf", 'resource "terraform_data" "pw" {\n}\n')).toEqual([]);
    expect(findings("infra/m/main.tf", 'resource "random_password" "pw" {\n}\n')).toEqual(["forbidden-resource"]);
  });
});
