import {UserError} from '../errors.js';

/**
 * Alias names as LXD allows them (slashes are fine: simplestreams aliases look like
 * `ubuntu/22.04`), minus what would be ambiguous on img's command line: a `:` reads as a remote.
 */
export function checkAliasName(name: string): void {
  if (name === '') throw new UserError('Alias name is empty', {code: 'InvalidAlias'});
  if (name.includes(':')) throw new UserError(`Invalid alias name "${name}": ":" separates a remote from an image`, {code: 'InvalidAlias'});
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name) || /^\s|\s$/.test(name)) {
    throw new UserError(`Invalid alias name ${JSON.stringify(name)}: no control characters or surrounding spaces`, {code: 'InvalidAlias'});
  }
}
