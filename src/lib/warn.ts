import type {ErrorCode} from './error-codes.js';
import {UserError} from './errors.js';

/** Something worth telling the user that did not stop the work. */
export interface Warning {
  code: ErrorCode;
  message: string;
  /** What the warning is about, for callers that act on it (a path, a file name). */
  data?: Record<string, unknown>;
}

export interface WarnOptions {
  /** Told about each warning (lenient mode). */
  onWarning?: (warning: Warning) => void;
  /** Strict mode: a warning is an error with the same code and message, and stops the work. */
  strict?: boolean;
}

/**
 * Report a warning the one way img does (node-tar's warn-method): thrown as a UserError in
 * strict mode, passed to `onWarning` otherwise. Library code never decides on its own whether
 * something it tolerates is fatal; the caller's mode does.
 */
export function warnOrFail(opts: WarnOptions, code: ErrorCode, message: string, data?: Record<string, unknown>): void {
  if (opts.strict) throw new UserError(message, {code});
  opts.onWarning?.(data ? {code, message, data} : {code, message});
}
