import {Document, isPair, isScalar, visit} from 'yaml';
import {resolvePlain} from './scalars.js';

export interface YamlOutOptions {
  /** Keys whose string values are times and are written plain, as yaml.v2 writes time.Time. */
  timeKeys?: ReadonlySet<string>;
}

/**
 * YAML for LXD's readers (Go yaml.v2, YAML 1.1) in yaml.v2's layout: list items not indented
 * under their key, no document marker, and every string — key or value — quoted when yaml.v2
 * would read it plain as something else (yes, 1.0, 0755, 1_000, 2023-01-01, <<), so it reads
 * back as the same string.
 */
export function stringifyYaml(value: unknown, opts: YamlOutOptions = {}): string {
  // No anchors: a value that appears twice is written twice (LXD's tools never see an alias).
  const doc = new Document(value, {aliasDuplicateObjects: false});
  visit(doc, {
    Scalar(_key, node, path) {
      if (typeof node.value !== 'string') return;
      const parent = path[path.length - 1];
      const field = isPair(parent) && isScalar(parent.key) && parent.key !== node ? String(parent.key.value) : '';
      const tag = node.value === '' ? '!!null' : resolvePlain(node.value).tag;
      if (tag !== '!!str' && !(tag === '!!timestamp' && opts.timeKeys?.has(field))) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({indentSeq: false, lineWidth: 80});
}
