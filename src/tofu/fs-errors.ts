import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { PermanentReason } from "./classify.js";

/** The file-system failures a user fixes outside the tool: free space, a writable disk, permissions, a shorter command line. */
export type FileSystemReason = Extract<PermanentReason, "no_space" | "read_only" | "permission_denied" | "arg_list_too_long">;

const ERRNO_REASONS: Readonly<Record<string, FileSystemReason>> = {
  ENOSPC: "no_space",
  EDQUOT: "no_space",
  EROFS: "read_only",
  EACCES: "permission_denied",
  EPERM: "permission_denied",
  E2BIG: "arg_list_too_long",
};

const CODES: Readonly<Record<FileSystemReason, string>> = {
  no_space: "no_space",
  read_only: "read_only_fs",
  permission_denied: "permission_denied",
  arg_list_too_long: "arg_list_too_long",
};

/** What went wrong, in words, and what to do about it. */
export function describeFileSystemFailure(reason: FileSystemReason, file: string): { message: string; hint: string } {
  switch (reason) {
    case "no_space":
      return {
        message: `no space left on the device that holds ${file}`,
        hint: `free space under ${path.dirname(file)} (or on its file system), then run again`,
      };
    case "read_only":
      return {
        message: `${file} is on a read-only file system`,
        hint: `the path is read-only: run from a writable checkout, or remount ${path.dirname(file)} read-write`,
      };
    case "permission_denied":
      return {
        message: `permission denied on ${file}`,
        hint: `check the owner and mode of ${file}, and of .terraform and .evalap-infra in the project: the user running evalap-infra must be able to write them`,
      };
    case "arg_list_too_long":
      return {
        message: "the tofu command line is too long for the system (argument list too long)",
        hint: "pass large or many values with a var file (environments.<name>.varFiles) instead of --var or environments.<name>.vars",
      };
  }
}

/** A file-system failure of the tool's own files or of tofu's, with what to fix. Never transient. */
export class FileSystemError extends EvalapError {
  readonly reason: FileSystemReason;
  readonly path: string;
  constructor(reason: FileSystemReason, file: string, action: string, cause?: unknown) {
    const { message, hint } = describeFileSystemFailure(reason, file);
    super(CODES[reason], `cannot ${action}: ${message}`, { exitCode: ExitCode.Failure, hint, cause });
    this.name = "FileSystemError";
    this.reason = reason;
    this.path = file;
  }
}

export function fileSystemErrorCode(reason: FileSystemReason): string {
  return CODES[reason];
}

/** The FileSystemError for a Node errno error, or null when it is not one the user can fix that way. */
export function toFileSystemError(err: unknown, file: string, action: string): FileSystemError | null {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : ERRNO_REASONS[code];
  if (reason === undefined) return null;
  const named = (err as NodeJS.ErrnoException).path ?? file;
  return new FileSystemError(reason, named, action, err);
}

/** Runs one of the tool's own file operations; ENOSPC, EROFS, EACCES, EPERM become FileSystemErrors. */
export async function withFileSystemErrors<T>(file: string, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFileSystemError(err, file, action) ?? err;
  }
}

/**
 * mkdir -p that reports the real cause: Node's recursive mkdir says ENOENT when a level cannot be
 * created (on a read-only file system, for one), so the missing levels are then created one by one,
 * and the first refusal (EROFS, ENOSPC, EACCES...) is what is thrown.
 */
export async function makeDirectory(dir: string, mode?: number): Promise<void> {
  const opts = mode === undefined ? {} : { mode };
  try {
    await mkdir(dir, { recursive: true, ...opts });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const missing: string[] = [];
    for (let d = path.resolve(dir); path.dirname(d) !== d && !(await exists(d)); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) {
      await mkdir(d, opts).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      });
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
