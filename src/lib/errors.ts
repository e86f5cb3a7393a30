import {ERROR_CODES, type ErrorCode} from './error-codes.js';

export type {ErrorCode} from './error-codes.js';

/**
 * Errors the library throws. A `UserError` is expected (bad input, not found, refused by policy):
 * the CLI prints its one-line message and exits with the status its code carries. Anything else
 * is a bug.
 */
export class UserError extends Error {
  readonly code: ErrorCode;
  readonly exit: number;
  /** What the user can do about it, kept apart from the message (its own field in JSON). */
  readonly hint?: string;

  constructor(message: string, opts: {code: ErrorCode; hint?: string; cause?: unknown}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause});
    this.name = 'UserError';
    this.code = opts.code;
    this.exit = ERROR_CODES[opts.code].exit;
    if (opts.hint !== undefined) this.hint = opts.hint;
  }
}

/** Exit status for "the local image is not there" (imgadm's ImageNotInstalled). */
export const EXIT_NOT_FOUND = 3;
/** Exit status for a usage error (bad flags or arguments). */
export const EXIT_USAGE = 2;

export class NotFoundError extends UserError {
  constructor(message: string, code: ErrorCode = 'ImageNotFound') {
    super(message, {code});
    this.name = 'NotFoundError';
  }
}

export class UsageError extends UserError {
  constructor(message: string, code: ErrorCode = 'Usage') {
    super(message, {code});
    this.name = 'UsageError';
  }
}

/** An image or archive that cannot be accepted: bad metadata, bad compression, truncation. */
export class InvalidImageError extends UserError {
  constructor(message: string, code: ErrorCode, cause?: unknown) {
    super(message, {code, cause});
    this.name = 'InvalidImageError';
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/** Bytes that are not as long as their source declared: `got` is a count, or words ("more", "at least N"). */
export function sizeMismatch(what: string, expected: number, got: number | string): UserError {
  return new UserError(`${what}: size mismatch: expected ${expected} bytes, got ${got}`, {code: 'SizeMismatch'});
}

/** Bytes whose sha256 is not the one their source declared. */
export function hashMismatch(what: string, expected: string, got: string | undefined): UserError {
  return new UserError(`${what}: sha256 mismatch: expected ${expected}, got ${got}`, {code: 'HashMismatch'});
}

/** Turn common filesystem errors on user-named paths into user errors; rethrow the rest. */
export function userFsError(err: unknown, what: string): never {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') throw new UserError(`${what}: no such file or directory`, {code: 'FileNotFound', cause: err});
  if (code === 'EACCES' || code === 'EPERM') throw new UserError(`${what}: permission denied`, {code: 'PermissionDenied', cause: err});
  if (code === 'EISDIR') throw new UserError(`${what}: is a directory`, {code: 'IsDirectory', cause: err});
  if (code === 'ENOTDIR') throw new UserError(`${what}: not a directory`, {code: 'NotDirectory', cause: err});
  if (code === 'ENOSPC') throw new UserError(`${what}: no space left on device`, {code: 'NoSpace', cause: err});
  throw err;
}
