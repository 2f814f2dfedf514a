import { randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Argon2id (RFC 9106), in plain TypeScript since Node 20 has none: Serverless Containers answer a
 * secret environment variable as its argon2id hash (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, as
 * recorded), and the provider compares the configured value with it (dsf.CompareArgon2idPasswordAndHash,
 * which reads the parameters from the hash). Scaleway hashes with m=65536,t=3,p=64; the sandbox uses
 * small parameters (ARGON2_PARAMS) so that a hash costs milliseconds in BigInt arithmetic: the
 * format, the algorithm and the provider's check are the same.
 */
export const ARGON2_PARAMS = { memoryKiB: 64, passes: 1, lanes: 1, tagLength: 32 } as const;

const M64 = (1n << 64n) - 1n;
const IV = [
  0x6a09e667f3bcc908n,
  0xbb67ae8584caa73bn,
  0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n,
  0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn,
  0x5be0cd19137e2179n,
];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

const rotr = (x: bigint, n: bigint): bigint => ((x >> n) | (x << (64n - n))) & M64;

function readU64(buf: Uint8Array, off: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(buf[off + i] ?? 0);
  return v;
}

function writeU64(buf: Uint8Array, off: number, v: bigint): void {
  for (let i = 0; i < 8; i++) buf[off + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

/** BLAKE2b (RFC 7693) with an output length of 1..64 bytes, no key. */
export function blake2b(input: Uint8Array, outLen: number): Uint8Array {
  const h = IV.slice();
  h[0] = (h[0] ?? 0n) ^ (0x01010000n | BigInt(outLen));
  const blocks = Math.max(1, Math.ceil(input.length / 128));
  const v: bigint[] = new Array<bigint>(16).fill(0n);
  const m: bigint[] = new Array<bigint>(16).fill(0n);
  const g = (a: number, b: number, c: number, d: number, x: bigint, y: bigint) => {
    v[a] = ((v[a] ?? 0n) + (v[b] ?? 0n) + x) & M64;
    v[d] = rotr((v[d] ?? 0n) ^ (v[a] ?? 0n), 32n);
    v[c] = ((v[c] ?? 0n) + (v[d] ?? 0n)) & M64;
    v[b] = rotr((v[b] ?? 0n) ^ (v[c] ?? 0n), 24n);
    v[a] = ((v[a] ?? 0n) + (v[b] ?? 0n) + y) & M64;
    v[d] = rotr((v[d] ?? 0n) ^ (v[a] ?? 0n), 16n);
    v[c] = ((v[c] ?? 0n) + (v[d] ?? 0n)) & M64;
    v[b] = rotr((v[b] ?? 0n) ^ (v[c] ?? 0n), 63n);
  };
  for (let blk = 0; blk < blocks; blk++) {
    const block = new Uint8Array(128);
    block.set(input.subarray(blk * 128, Math.min(input.length, blk * 128 + 128)));
    for (let i = 0; i < 16; i++) m[i] = readU64(block, i * 8);
    const last = blk === blocks - 1;
    const counter = BigInt(last ? input.length : (blk + 1) * 128);
    for (let i = 0; i < 8; i++) {
      v[i] = h[i] ?? 0n;
      v[i + 8] = IV[i] ?? 0n;
    }
    v[12] = (v[12] ?? 0n) ^ (counter & M64);
    if (last) v[14] = (v[14] ?? 0n) ^ M64;
    for (let r = 0; r < 12; r++) {
      const s = SIGMA[r % 10] ?? [];
      const mm = (i: number) => m[s[i] ?? 0] ?? 0n;
      g(0, 4, 8, 12, mm(0), mm(1));
      g(1, 5, 9, 13, mm(2), mm(3));
      g(2, 6, 10, 14, mm(4), mm(5));
      g(3, 7, 11, 15, mm(6), mm(7));
      g(0, 5, 10, 15, mm(8), mm(9));
      g(1, 6, 11, 12, mm(10), mm(11));
      g(2, 7, 8, 13, mm(12), mm(13));
      g(3, 4, 9, 14, mm(14), mm(15));
    }
    for (let i = 0; i < 8; i++) h[i] = (h[i] ?? 0n) ^ (v[i] ?? 0n) ^ (v[i + 8] ?? 0n);
  }
  const out = new Uint8Array(64);
  for (let i = 0; i < 8; i++) writeU64(out, i * 8, h[i] ?? 0n);
  return out.slice(0, outLen);
}

const le32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};

/** H' of RFC 9106 §3.3: BLAKE2b stretched to any length. */
function hashLong(input: Uint8Array, outLen: number): Uint8Array {
  const x = concat(le32(outLen), input);
  if (outLen <= 64) return blake2b(x, outLen);
  const r = Math.ceil(outLen / 32) - 2;
  const out = new Uint8Array(outLen);
  let v = blake2b(x, 64);
  out.set(v.subarray(0, 32), 0);
  for (let i = 1; i < r; i++) {
    v = blake2b(v, 64);
    out.set(v.subarray(0, 32), i * 32);
  }
  out.set(blake2b(v, outLen - 32 * r), 32 * r);
  return out;
}

type Block = bigint[]; // 128 words of 64 bits

const lo = (x: bigint): bigint => x & 0xffffffffn;
const fBlaMka = (x: bigint, y: bigint): bigint => (x + y + 2n * lo(x) * lo(y)) & M64;

function gb(v: Block, a: number, b: number, c: number, d: number): void {
  let va = v[a] ?? 0n;
  let vb = v[b] ?? 0n;
  let vc = v[c] ?? 0n;
  let vd = v[d] ?? 0n;
  va = fBlaMka(va, vb);
  vd = rotr(vd ^ va, 32n);
  vc = fBlaMka(vc, vd);
  vb = rotr(vb ^ vc, 24n);
  va = fBlaMka(va, vb);
  vd = rotr(vd ^ va, 16n);
  vc = fBlaMka(vc, vd);
  vb = rotr(vb ^ vc, 63n);
  v[a] = va;
  v[b] = vb;
  v[c] = vc;
  v[d] = vd;
}

/** The permutation P on 16 words at the given indexes. */
function permute(v: Block, idx: number[]): void {
  const i = (n: number) => idx[n] ?? 0;
  gb(v, i(0), i(4), i(8), i(12));
  gb(v, i(1), i(5), i(9), i(13));
  gb(v, i(2), i(6), i(10), i(14));
  gb(v, i(3), i(7), i(11), i(15));
  gb(v, i(0), i(5), i(10), i(15));
  gb(v, i(1), i(6), i(11), i(12));
  gb(v, i(2), i(7), i(8), i(13));
  gb(v, i(3), i(4), i(9), i(14));
}

/** The compression G(X, Y) of RFC 9106 §3.5. */
function compress(x: Block, y: Block): Block {
  const r: Block = x.map((w, n) => w ^ (y[n] ?? 0n));
  const q = r.slice();
  for (let row = 0; row < 8; row++)
    permute(
      q,
      Array.from({ length: 16 }, (_, k) => row * 16 + k),
    );
  for (let col = 0; col < 8; col++) {
    permute(
      q,
      Array.from({ length: 16 }, (_, k) => Math.floor(k / 2) * 16 + col * 2 + (k % 2)),
    );
  }
  return q.map((w, n) => w ^ (r[n] ?? 0n));
}

const zeroBlock = (): Block => new Array<bigint>(128).fill(0n);

function blockFromBytes(b: Uint8Array): Block {
  return Array.from({ length: 128 }, (_, i) => readU64(b, i * 8));
}

/** Raw Argon2id (version 0x13), no secret nor associated data. */
export function argon2id(
  password: Uint8Array,
  salt: Uint8Array,
  p: { memoryKiB: number; passes: number; lanes: number; tagLength: number },
): Uint8Array {
  const { lanes, passes, tagLength } = p;
  const mPrime = 4 * lanes * Math.floor(p.memoryKiB / (4 * lanes));
  const laneLen = mPrime / lanes;
  const segLen = laneLen / 4;
  const h0 = blake2b(
    concat(
      le32(lanes),
      le32(tagLength),
      le32(p.memoryKiB),
      le32(passes),
      le32(0x13),
      le32(2), // type: Argon2id
      le32(password.length),
      password,
      le32(salt.length),
      salt,
      le32(0),
      le32(0),
    ),
    64,
  );
  const mem: Block[] = new Array<Block>(mPrime);
  for (let l = 0; l < lanes; l++) {
    mem[l * laneLen] = blockFromBytes(hashLong(concat(h0, le32(0), le32(l)), 1024));
    mem[l * laneLen + 1] = blockFromBytes(hashLong(concat(h0, le32(1), le32(l)), 1024));
  }
  for (let pass = 0; pass < passes; pass++) {
    for (let slice = 0; slice < 4; slice++) {
      for (let lane = 0; lane < lanes; lane++) {
        // Argon2id: data-independent addressing in the first half of the first pass.
        const independent = pass === 0 && slice < 2;
        let addresses: Block = zeroBlock();
        const input = zeroBlock();
        if (independent) {
          input[0] = BigInt(pass);
          input[1] = BigInt(lane);
          input[2] = BigInt(slice);
          input[3] = BigInt(mPrime);
          input[4] = BigInt(passes);
          input[5] = 2n;
        }
        const nextAddresses = () => {
          input[6] = (input[6] ?? 0n) + 1n;
          addresses = compress(zeroBlock(), compress(zeroBlock(), input));
        };
        const start = pass === 0 && slice === 0 ? 2 : 0;
        if (independent && start === 2) nextAddresses();
        for (let i = start; i < segLen; i++) {
          const index = slice * segLen + i;
          const cur = lane * laneLen + index;
          const prev = index === 0 ? lane * laneLen + laneLen - 1 : cur - 1;
          let rand: bigint;
          if (independent) {
            if (i % 128 === 0) nextAddresses();
            rand = addresses[i % 128] ?? 0n;
          } else {
            rand = mem[prev]?.[0] ?? 0n;
          }
          const j1 = rand & 0xffffffffn;
          const j2 = rand >> 32n;
          const refLane = pass === 0 && slice === 0 ? lane : Number(j2 % BigInt(lanes));
          const sameLane = refLane === lane;
          // Reference area (RFC 9106 §3.4.1.2).
          let area: number;
          if (pass === 0) {
            area = sameLane ? index - 1 : slice * segLen - (i === 0 ? 1 : 0);
          } else {
            area = sameLane ? laneLen - segLen + i - 1 : laneLen - segLen - (i === 0 ? 1 : 0);
          }
          const x = (j1 * j1) >> 32n;
          const y = (BigInt(area) * x) >> 32n;
          const zz = BigInt(area) - 1n - y;
          const startPos = pass === 0 || slice === 3 ? 0 : (slice + 1) * segLen;
          const refIndex = Number((BigInt(startPos) + zz) % BigInt(laneLen));
          const ref = mem[refLane * laneLen + refIndex] ?? zeroBlock();
          const next = compress(mem[prev] ?? zeroBlock(), ref);
          mem[cur] = pass === 0 ? next : next.map((w, n) => w ^ (mem[cur]?.[n] ?? 0n));
        }
      }
    }
  }
  let final = mem[laneLen - 1] ?? zeroBlock();
  for (let l = 1; l < lanes; l++) final = final.map((w, n) => w ^ (mem[l * laneLen + laneLen - 1]?.[n] ?? 0n));
  const bytes = new Uint8Array(1024);
  final.forEach((w, n) => writeU64(bytes, n * 8, w));
  return hashLong(bytes, tagLength);
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64").replace(/=+$/, "");

/** The PHC string the API answers for a secret value, with a fresh random salt. */
export function argon2idHash(value: string): string {
  const { memoryKiB, passes, lanes } = ARGON2_PARAMS;
  const salt = randomBytes(16);
  const tag = argon2id(Buffer.from(value, "utf8"), salt, ARGON2_PARAMS);
  return `$argon2id$v=19$m=${memoryKiB},t=${passes},p=${lanes}$${b64(salt)}$${b64(tag)}`;
}

/** Whether the value matches a PHC argon2id string (any parameters), as the provider checks it. */
export function argon2idMatches(value: string, phc: string): boolean {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
  if (!m) return false;
  const salt = Buffer.from(m[4] ?? "", "base64");
  const expected = Buffer.from(m[5] ?? "", "base64");
  const params = { memoryKiB: Number(m[1]), passes: Number(m[2]), lanes: Number(m[3]), tagLength: expected.length };
  if (params.memoryKiB > 1024 || params.passes > 4 || params.lanes > 8) return false; // not ours: too costly here
  const got = Buffer.from(argon2id(Buffer.from(value, "utf8"), salt, params));
  return got.length === expected.length && timingSafeEqual(got, expected);
}
