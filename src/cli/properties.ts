import {UsageError} from '../lib/errors.js';

/**
 * The one `key=value` grammar of img's positional arguments (import and publish). An argument
 * is a property when it has an `=` and the text before the first `=` is a key: not empty, and
 * without a `/`. Anything else is a file (or a remote, or an instance name). The rule looks only
 * at the text, never at the filesystem, so an argument means the same whether or not a file of
 * that name exists: a file whose name has an `=` is written with a directory, `./a=b.tar`.
 */
export const FILE_WITH_EQUALS = 'a file whose name has "=" is given with a directory, as ./name=x.tar';
export const PROPERTY_RULE = `key=value sets a property; ${FILE_WITH_EQUALS}`;

export interface SplitArgs {
  properties: Record<string, string>;
  rest: string[];
}

export function isPropertyArg(arg: string): boolean {
  const i = arg.indexOf('=');
  return i > 0 && !arg.slice(0, i).includes('/');
}

/** Split arguments into properties (in order; a later key wins) and everything else. */
export function splitProperties(args: readonly string[]): SplitArgs {
  const properties: Record<string, string> = {};
  const rest: string[] = [];
  for (const arg of args) {
    if (!isPropertyArg(arg)) {
      rest.push(arg);
      continue;
    }
    const i = arg.indexOf('=');
    const key = arg.slice(0, i).trim();
    if (key === '') throw new UsageError(`"${arg}": a property needs a key before "="`);
    properties[key] = arg.slice(i + 1).trim();
  }
  return {properties, rest};
}
