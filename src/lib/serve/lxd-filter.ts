/**
 * LXD's `?filter=` on `/1.0/images` (LXD 5.0.2's shared/filter): clauses `[not] FIELD eq|ne VALUE`
 * joined by `and`/`or`, read left to right without precedence; FIELD is a JSON field of the image
 * object, dotted for nested ones (`properties.os`); VALUE may be double-quoted to hold spaces.
 * LXD also reads an `eq` value as an RE2 expression; here it is compared as a string only, since a
 * stranger's regular expression is no thing to run on a backtracking engine.
 */

interface Clause {
  not: boolean;
  field: string;
  op: 'eq' | 'ne';
  value: string;
  /** How this clause joins what came before. */
  join: 'and' | 'or';
}

/** LXD's words for a filter it cannot read (it answers them with HTTP 500, "Invalid filter: …"). */
export class FilterError extends Error {}

export function parseFilter(text: string): Clause[] {
  const words = text.split(/\s+/).filter(Boolean);
  const clauses: Clause[] = [];
  let join: Clause['join'] = 'and';
  for (let i = 0; i < words.length;) {
    const not = words[i]!.toLowerCase() === 'not';
    if (not && ++i === words.length) throw new FilterError('incomplete not clause');
    const field = words[i++]!;
    if (i === words.length) throw new FilterError('clause has no operator');
    const op = words[i++]!;
    if (op !== 'eq' && op !== 'ne') throw new FilterError(`invalid operator "${op}"`);
    if (i === words.length) throw new FilterError('clause has no value');
    let value = words[i++]!;
    if (value.startsWith('"')) {
      while (!(value.length > 1 && value.endsWith('"')) && i < words.length) value += ` ${words[i++]!}`;
      value = value.replace(/^"|"$/g, '');
    }
    clauses.push({not, field, op, value, join});
    if (i < words.length) {
      const next = words[i++]!;
      if (next !== 'and' && next !== 'or') throw new FilterError('invalid clause composition');
      if (i === words.length) throw new FilterError('unterminated compound clause');
      join = next;
    }
  }
  return clauses;
}

/** A field's value as LXD's filter compares it: its text, or undefined when the object has none. */
function valueOf(object: Record<string, unknown>, field: string): string | undefined {
  let v: unknown = object;
  for (const key of field.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

export function matchFilter(object: Record<string, unknown>, clauses: readonly Clause[]): boolean {
  let match = true;
  clauses.forEach((c, i) => {
    const v = valueOf(object, c.field);
    const hit = (c.op === 'eq' ? v === c.value : v !== c.value) !== c.not;
    match = i === 0 ? hit : c.join === 'and' ? match && hit : match || hit;
  });
  return match;
}
