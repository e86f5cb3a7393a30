import type {ListedAlias} from '../lib/image/types.js';
import {renderTable, type TableFormat} from './table.js';

/** An alias as LXD's API gives it (api.ImageAliasesEntry, in its field order). */
export function aliasObject(a: ListedAlias): {description: string; target: string; name: string; type: string} {
  return {description: a.description, target: a.target, name: a.name, type: a.type};
}

/** `lxc image alias list`'s table. */
export function renderAliasTable(aliases: ListedAlias[], format: TableFormat): string {
  const rows = aliases.map((a) => [a.name, a.target.slice(0, 12), (a.type || 'container').toUpperCase(), a.description]);
  return renderTable(['ALIAS', 'FINGERPRINT', 'TYPE', 'DESCRIPTION'], rows, format);
}
