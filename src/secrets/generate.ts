import { randomBytes } from "node:crypto";

/** A bearer token: 32 random bytes (256 bits), base64url, 43 characters. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

const LOWER = "abcdefghijkmnopqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGIT = "23456789";
const SPECIAL = "-_.";
const ALL = LOWER + UPPER + DIGIT + SPECIAL;

/**
 * A database password for Scaleway RDB: 32 characters with a lower, an upper, a digit and one of
 * `-_.` (the RDB password policy: 8 to 128 characters, each class present; the same classes the
 * module's initial passwords use). `-_.` need no URL encoding in POSTGRES_URL. ~190 bits.
 */
export function generateDbPassword(): string {
  const chars = [pick(LOWER), pick(UPPER), pick(DIGIT), pick(SPECIAL)];
  while (chars.length < 32) chars.push(pick(ALL));
  // Fisher-Yates with unbiased indices, so the four guaranteed classes are not always in front.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = uniform(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join("");
}

function pick(alphabet: string): string {
  return alphabet.charAt(uniform(alphabet.length));
}

/** An integer in [0, n) without modulo bias (rejection sampling on one byte; n <= 256). */
function uniform(n: number): number {
  const limit = 256 - (256 % n);
  for (;;) {
    const b = randomBytes(1)[0] as number;
    if (b < limit) return b % n;
  }
}
