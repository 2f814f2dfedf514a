import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { daemonFiles, writePrivateFile } from "./files.js";

/**
 * What the sandbox generates once and keeps in `<dataDir>/credentials.json` (0600): a restart reuses
 * them, so the tofu state (encrypted with the passphrase, naming the project) stays valid.
 */
export const SandboxCredentialsSchema = z.object({
  format: z.literal(1),
  scaleway: z.object({ accessKey: z.string(), secretKey: z.string(), organizationId: z.string(), projectId: z.string() }),
  s3: z.object({ accessKey: z.string(), secretKey: z.string() }),
  statePassphrase: z.string().min(16),
  appSecrets: z.record(z.string(), z.string()),
  /** The ports of the last start: reused when free, so URLs in a user's shell stay right. */
  ports: z.object({ api: z.number().int().nonnegative(), s3: z.number().int().nonnegative() }).partial().default({}),
});

export type SandboxCredentials = z.infer<typeof SandboxCredentialsSchema>;

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Random characters of `alphabet` (rejection sampling keeps them uniform). */
function randomChars(count: number, alphabet: string): string {
  let out = "";
  while (out.length < count) {
    for (const byte of randomBytes(count * 2)) {
      if (byte < 256 - (256 % alphabet.length)) out += alphabet[byte % alphabet.length];
      if (out.length === count) break;
    }
  }
  return out;
}

const token = (bytes = 32): string => randomBytes(bytes).toString("base64url");

/** Fresh credentials: a Scaleway-shaped key pair (`SCW` + 17 characters, a UUID secret), ids, S3 root keys, secrets. */
export function generateCredentials(): SandboxCredentials {
  return {
    format: 1,
    scaleway: { accessKey: `SCW${randomChars(17, ALNUM)}`, secretKey: randomUUID(), organizationId: randomUUID(), projectId: randomUUID() },
    s3: { accessKey: `SBX${randomChars(17, ALNUM)}`, secretKey: token(30) },
    statePassphrase: token(32),
    // What EvalAP reads (the platform module requires the first two); USER_API_KEYS is its {user: token} map.
    appSecrets: {
      ADMIN_TOKEN: token(),
      EVALAP_FRONTEND_TOKEN: token(),
      USER_API_KEYS: JSON.stringify({ sandbox: token() }),
    },
    ports: {},
  };
}

/** The folder's credentials, generated and written (0600) on the first start. */
export async function loadOrCreateCredentials(dataDir: string): Promise<SandboxCredentials> {
  const file = daemonFiles(dataDir).credentials;
  let text: string | undefined;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text !== undefined) return SandboxCredentialsSchema.parse(JSON.parse(text));
  const fresh = generateCredentials();
  await saveCredentials(dataDir, fresh);
  return fresh;
}

export async function saveCredentials(dataDir: string, creds: SandboxCredentials): Promise<void> {
  await writePrivateFile(daemonFiles(dataDir).credentials, JSON.stringify(creds, null, 2) + "\n");
}
