import { existsSync } from "node:fs";
import { cp, mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The files of a stand-in image (src/sandbox/standin/image/README.md): a fixture Alembic project laid
 * out as EvalAP's, of which the image's tag chooses the revisions (`-head<N>`: 0001…000N;
 * `-badmigration`: adds 0004, which fails halfway; otherwise 0001…0003).
 */
export function imageRevisions(image: string, available: readonly string[]): string[] {
  const tag = image.includes(":") ? image.slice(image.lastIndexOf(":") + 1) : "";
  const head = /-head(\d+)(?=-|$)/.exec(tag);
  const bad = /-badmigration(?=-|$)/.test(tag);
  const number = (file: string) => Number(/^(\d+)_/.exec(file)?.[1] ?? "NaN");
  return available
    .filter((f) => /^\d+_.*\.py$/.test(f))
    .filter((f) => (f.includes("_badmigration") ? bad : head ? number(f) <= Number(head[1]) : true))
    .sort();
}

/** Where the fixture is: EVALAP_SANDBOX_IMAGE_FILES, else `image/` beside the built stand-in, else the sources. */
export function imageSource(standin: string | undefined): string {
  const override = process.env.EVALAP_SANDBOX_IMAGE_FILES;
  if (override) return override;
  const candidates = [
    ...(standin ? [path.join(path.dirname(standin), "image")] : []),
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "standin", "image"),
  ];
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    candidates.push(path.join(dir, "src", "sandbox", "standin", "image"));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const found = candidates.find((c) => existsSync(path.join(c, "evalap", "api", "alembic.ini")));
  if (!found)
    throw new Error(
      "the stand-in image's files (src/sandbox/standin/image) are missing: run `npm run build`, or set EVALAP_SANDBOX_IMAGE_FILES",
    );
  return found;
}

/**
 * A copy of the image's files for this image reference (its working directory), made once per tag
 * (built aside, then renamed: two containers of one image may start together).
 */
export async function materializeImage(dataDir: string, image: string, source: string): Promise<string> {
  const tag = image.includes(":") ? image.slice(image.lastIndexOf(":") + 1) : "latest";
  const dir = path.join(dataDir, "container", "images", tag.replace(/[^A-Za-z0-9._-]/g, "_"));
  if (existsSync(dir)) return dir;
  const building = `${dir}.${process.pid}.${Date.now()}.tmp`;
  const versions = path.join("evalap", "api", "alembic", "versions");
  await mkdir(building, { recursive: true });
  await cp(source, building, {
    recursive: true,
    filter: (src) => !src.startsWith(path.join(source, versions) + path.sep) && !src.includes("__pycache__"),
  });
  await mkdir(path.join(building, versions), { recursive: true });
  for (const f of imageRevisions(image, await readdir(path.join(source, versions))))
    await cp(path.join(source, versions, f), path.join(building, versions, f));
  try {
    await rename(building, dir);
  } catch {
    await rm(building, { recursive: true, force: true }); // another start made it first
  }
  return dir;
}
