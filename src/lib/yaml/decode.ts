/**
 * Decode a YAML document into typed values the way Go's gopkg.in/yaml.v2 does for LXD's structs,
 * so that img accepts and refuses metadata.yaml exactly as LXD 5.0.2 does. The `yaml` library
 * parses (syntax, anchors, merge keys); scalars are typed with yaml.v2's rules (./scalars.ts), and
 * type mismatches are reported with yaml.v2's words: "line 3: cannot unmarshal !!str `x` into int64".
 *
 * Over 250 lines on purpose: one recursive walk (aliases, merges, structs, maps, scalars) whose
 * steps share one context; split across files it would only pass that context around.
 */
import {isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar, type Document, type Node} from 'yaml';
import {INT64_MAX, INT64_MIN, resolvePlain, TAG, type Resolved} from './scalars.js';

export type GoType =
  | {kind: 'string'}
  | {kind: 'int64'}
  | {kind: 'bool'}
  | {kind: 'slice'; elem: GoType}
  | {kind: 'map'; value: GoType}
  | {kind: 'struct'; name: string; fields: Record<string, GoType>}
  | {kind: 'ptr'; elem: GoType};

export class YamlV2Error extends Error {
  constructor(
    message: string,
    readonly kind: 'syntax' | 'type' | 'limit',
  ) {
    super(message);
  }
}

interface Ctx {
  doc: Document;
  lines: LineCounter;
  errors: string[];
  budget: number;
  /** Alias nodes being expanded right now. */
  resolving: Set<Node>;
}

const lineOf = (ctx: Ctx, node: Node): number => ctx.lines.linePos(node.range?.[0] ?? 0).line;

function typeName(t: GoType): string {
  switch (t.kind) {
    case 'string':
      return 'string';
    case 'int64':
      return 'int64';
    case 'bool':
      return 'bool';
    case 'slice':
      return `[]${typeName(t.elem)}`;
    case 'map':
      return `map[string]${typeName(t.value)}`;
    case 'struct':
      return t.name;
    case 'ptr':
      return `*${typeName(t.elem)}`;
  }
}

function terror(ctx: Ctx, node: Node, tag: string, text: string | undefined, t: GoType): void {
  let value = '';
  if (text !== undefined) value = text.length > 10 ? ` \`${text.slice(0, 7)}...\`` : ` \`${text}\``;
  ctx.errors.push(`line ${lineOf(ctx, node)}: cannot unmarshal ${tag}${value} into ${typeName(t.kind === 'ptr' ? t.elem : t)}`);
}

function scalarText(node: Scalar): string {
  return node.source ?? String(node.value ?? '');
}

const EXPLICIT: Record<string, Resolved['tag']> = {
  'tag:yaml.org,2002:int': TAG.int,
  'tag:yaml.org,2002:float': TAG.float,
  'tag:yaml.org,2002:bool': TAG.bool,
  'tag:yaml.org,2002:null': TAG.null,
  'tag:yaml.org,2002:timestamp': TAG.timestamp,
};

function resolveScalar(ctx: Ctx, node: Scalar): Resolved {
  const text = scalarText(node);
  const explicit = node.tag;
  if (explicit === 'tag:yaml.org,2002:str') return {tag: TAG.str, value: text};
  // yaml.v2 decodes !!binary into the bytes it encodes.
  if (explicit === 'tag:yaml.org,2002:binary') return {tag: TAG.str, value: Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('latin1')};
  const wanted = explicit ? EXPLICIT[explicit] : undefined;
  if (wanted) {
    // An explicit tag resolves the text, quoted or not, and must agree with it (yaml.v2's resolve).
    const r = resolvePlain(text);
    if (r.tag === wanted) return r;
    if (wanted === TAG.float && r.tag === TAG.int) return {tag: TAG.float, value: Number(r.value)};
    throw new YamlV2Error(`line ${lineOf(ctx, node)}: cannot decode ${r.tag} \`${text}\` as a ${wanted}`, 'type');
  }
  if (node.type !== Scalar.PLAIN) return {tag: TAG.str, value: text};
  return resolvePlain(text);
}

function zero(t: GoType): unknown {
  switch (t.kind) {
    case 'string':
      return '';
    case 'int64':
      return 0n;
    case 'bool':
      return false;
    case 'slice':
      return [];
    case 'map':
      return {};
    case 'struct':
      return Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, zero(f)]));
    case 'ptr':
      return null;
  }
}

function deref(ctx: Ctx, node: Node): Node | undefined {
  let n: Node | undefined = node;
  let hops = 0;
  while (n && isAlias(n)) {
    if (++hops > 64) throw new YamlV2Error('metadata.yaml: alias chain too long', 'limit');
    const target: Node | undefined = n.resolve(ctx.doc) as Node | undefined;
    if (!target) {
      ctx.errors.push(`line ${lineOf(ctx, n)}: unknown anchor '${n.source}' referenced`);
      return undefined;
    }
    n = target;
  }
  return n;
}

function decode(ctx: Ctx, raw: Node | null | undefined, t: GoType, current: unknown): unknown {
  if (--ctx.budget < 0) throw new YamlV2Error('metadata.yaml: document contains excessive aliasing', 'limit');
  if (raw == null) return current;
  if (isAlias(raw)) {
    // As yaml.v2: only decoding that comes back through the same alias is a loop.
    if (ctx.resolving.has(raw)) throw new YamlV2Error(`anchor '${raw.source}' value contains itself`, 'syntax');
    ctx.resolving.add(raw);
    try {
      const target = deref(ctx, raw);
      return target ? decode(ctx, target, t, current) : current;
    } finally {
      ctx.resolving.delete(raw);
    }
  }
  const node = raw;
  if (t.kind === 'ptr') {
    if (isScalar(node) && resolveScalar(ctx, node).tag === TAG.null) return null;
    return decode(ctx, node, t.elem, current ?? zero(t.elem));
  }
  if (isScalar(node)) return decodeScalar(ctx, node, t, current);
  if (isMap(node)) return decodeMapping(ctx, node, t, current);
  if (isSeq(node)) {
    if (t.kind !== 'slice') {
      terror(ctx, node, TAG.seq, undefined, t);
      return current;
    }
    return node.items.map((item) => decode(ctx, item as Node, t.elem, zero(t.elem)));
  }
  return current;
}

function decodeScalar(ctx: Ctx, node: Scalar, t: GoType, current: unknown): unknown {
  const r = resolveScalar(ctx, node);
  const text = scalarText(node);
  if (r.tag === TAG.null) return zero(t);
  switch (t.kind) {
    case 'string':
      // yaml.v2 keeps the scalar's own text for string targets: 1.10 stays "1.10", yes stays "yes".
      return r.tag === TAG.str ? r.value : text;
    case 'bool':
      if (r.tag === TAG.bool) return r.value;
      break;
    case 'int64':
      if (r.tag === TAG.int && r.value <= INT64_MAX && r.value >= INT64_MIN) return r.value;
      // yaml.v2 checks `f <= math.MaxInt64`, which as a float64 is 2^63.
      if (r.tag === TAG.float && r.value <= 2 ** 63) {
        if (Number.isNaN(r.value)) break;
        // Go's int64(float) truncates toward zero; out of range, amd64 yields MinInt64.
        return r.value < -(2 ** 63) || r.value >= 2 ** 63 ? INT64_MIN : BigInt(Math.trunc(r.value));
      }
      break;
    default:
      break;
  }
  terror(ctx, node, r.tag, text, t);
  return current;
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && key.type === Scalar.PLAIN && scalarText(key) === '<<';
}

function decodeMapping(ctx: Ctx, node: Node & {items: unknown[]}, t: GoType, current: unknown): unknown {
  if (t.kind !== 'struct' && t.kind !== 'map') {
    terror(ctx, node, TAG.map, undefined, t);
    return current;
  }
  const out = (current && typeof current === 'object' ? current : zero(t)) as Record<string, unknown>;
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    if (isMergeKey(pair.key)) {
      mergeInto(ctx, pair.value as Node, t, out);
      continue;
    }
    const key = keyText(ctx, pair.key as Node | null);
    if (key === undefined) continue;
    if (t.kind === 'struct') {
      const field = t.fields[key];
      if (!field) continue; // yaml.v2 ignores unknown keys in non-strict mode
      out[key] = decode(ctx, pair.value as Node | null, field, out[key]);
    } else {
      out[key] = decode(ctx, pair.value as Node | null, t.value, zero(t.value));
    }
  }
  return out;
}

function mergeInto(ctx: Ctx, value: Node | null, t: GoType, out: Record<string, unknown>): void {
  const node = value ? deref(ctx, value) : undefined;
  if (!node) return;
  if (isMap(node)) {
    decodeMapping(ctx, node, t, out);
    return;
  }
  if (isSeq(node)) {
    // Earlier maps in a merge list win, so apply them last.
    for (const item of [...node.items].reverse()) {
      const m = deref(ctx, item as Node);
      if (m && isMap(m)) decodeMapping(ctx, m, t, out);
      else throw new YamlV2Error(`metadata.yaml line ${lineOf(ctx, node)}: map merge requires map or sequence of maps as the value`, 'syntax');
    }
    return;
  }
  throw new YamlV2Error(`metadata.yaml line ${lineOf(ctx, node)}: map merge requires map or sequence of maps as the value`, 'syntax');
}

function keyText(ctx: Ctx, key: Node | null): string | undefined {
  if (key == null) return '';
  const node = deref(ctx, key);
  if (!node) return undefined;
  if (isScalar(node)) return resolveScalar(ctx, node).tag === TAG.null ? '' : scalarText(node);
  terror(ctx, node, isMap(node) ? TAG.map : TAG.seq, undefined, {kind: 'string'});
  return undefined;
}

export interface DecodeOptions {
  /** How many nodes decoding may visit, aliases included: a bound on alias expansion. */
  maxNodes?: number;
  /** Decode into this value (yaml.v2 decoding into an existing struct overwrites key by key). */
  into?: unknown;
  /**
   * A stream with no document is an error, as with yaml.v2's Decoder (LXD reads metadata.yaml
   * so). Off, it decodes to the zero value, as yaml.Unmarshal does (LXD's edit).
   */
  emptyIsEOF?: boolean;
}

// yaml.v2 accepts only YAML's printable characters (tab, LF and CR among the controls).
// eslint-disable-next-line no-control-regex
const NON_PRINTABLE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f\ufffe\uffff]/;

/**
 * Parse `text` and decode its first document into `type`. Throws YamlV2Error for syntax errors,
 * type mismatches (the first one, as yaml.v2 lists them) and exceeded limits.
 */
export function decodeYamlV2<T>(text: string, type: GoType, opts: DecodeOptions = {}): T {
  const lines = new LineCounter();
  // yaml.v2 skips a byte-order mark (the yaml library reports it as an error) and, like YAML 1.1,
  // takes a lone CR as a line break (the yaml library does not).
  const src = (text.startsWith('\uFEFF') ? text.slice(1) : text).replace(/\r\n?/g, '\n');
  if (NON_PRINTABLE.test(src)) throw new YamlV2Error('control characters are not allowed', 'syntax');
  const docs = parseAllDocuments(src, {version: '1.1', uniqueKeys: false, lineCounter: lines, prettyErrors: false, strict: false, merge: false});
  const list = Array.isArray(docs) ? docs : [];
  const doc = list[0];
  if (!doc) {
    if (opts.emptyIsEOF) throw new YamlV2Error('EOF: no YAML document', 'syntax');
    return (opts.into ?? zero(type)) as T;
  }
  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.1')
    throw new YamlV2Error('found incompatible YAML document (only YAML 1.1 is read)', 'syntax');
  const err = doc.errors[0];
  if (err) {
    const line = lines.linePos(err.pos[0]).line;
    throw new YamlV2Error(`line ${line}: ${err.message.split('\n')[0]}`, 'syntax');
  }
  const ctx: Ctx = {doc, lines, errors: [], budget: opts.maxNodes ?? 100_000, resolving: new Set()};
  const value = decode(ctx, doc.contents as Node | null, type, opts.into ?? zero(type));
  if (ctx.errors.length > 0) {
    const more = ctx.errors.length > 1 ? ` (and ${ctx.errors.length - 1} more)` : '';
    throw new YamlV2Error(`${ctx.errors[0]}${more}`, 'type');
  }
  return value as T;
}
