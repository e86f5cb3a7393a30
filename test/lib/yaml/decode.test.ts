// src/lib/yaml/decode.ts: gopkg.in/yaml.v2's decoding into Go structs, as LXD 5.0.2 reads
// metadata.yaml. Expected values follow yaml.v2 (decode.go) and Go's strconv; the cases marked
// "LXD 5.0.2" were checked against a real LXD 5.0.2 import.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {decodeYamlV2, YamlV2Error, type GoType} from '../../../src/lib/yaml/decode.js';

const INNER: GoType = {kind: 'struct', name: 'api.Inner', fields: {a: {kind: 'string'}, n: {kind: 'int64'}}};
const T: GoType = {
  kind: 'struct',
  name: 'api.T',
  fields: {
    n: {kind: 'int64'},
    s: {kind: 'string'},
    b: {kind: 'bool'},
    l: {kind: 'slice', elem: {kind: 'string'}},
    m: {kind: 'map', value: {kind: 'string'}},
    p: {kind: 'ptr', elem: INNER},
    mp: {kind: 'map', value: {kind: 'ptr', elem: INNER}},
  },
};
interface TV {
  n: bigint;
  s: string;
  b: boolean;
  l: string[];
  m: Record<string, string>;
  p: {a: string; n: bigint} | null;
  mp: Record<string, {a: string; n: bigint} | null>;
}
const ZERO: TV = {n: 0n, s: '', b: false, l: [], m: {}, p: null, mp: {}};

const decode = (text: string): TV => decodeYamlV2<TV>(text, T);

function refused(text: string, type: GoType = T, opts = {}): YamlV2Error {
  try {
    decodeYamlV2(text, type, opts);
  } catch (err) {
    assert.ok(err instanceof YamlV2Error, `expected YamlV2Error, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be refused`);
}

describe('decodeYamlV2: values into struct fields', () => {
  test('a document with every kind of field', () => {
    const v = decode('n: 0x10\ns: hello\nb: on\nl: [a, 1, true, ~]\nm: {k: v, n: 5}\np: {a: x, n: 3}\nmp: {one: {a: y}, two: ~}\n');
    assert.deepEqual(v, {
      n: 16n,
      s: 'hello',
      b: true,
      l: ['a', '1', 'true', ''],
      m: {k: 'v', n: '5'},
      p: {a: 'x', n: 3n},
      mp: {one: {a: 'y', n: 0n}, two: null},
    });
  });

  test('absent fields keep their zero values', () => {
    assert.deepEqual(decode('s: x\n'), {...ZERO, s: 'x'});
  });

  test("string fields keep the scalar's own text, whatever it resolves to", () => {
    const texts = ['5', 'true', 'yes', 'off', '1.10', '0x1F', '010', '1e3', '.inf', '2023-01-01', '1:20', '1_000', '+12', '0b101', '0o17', '<<', '-0', '.5'];
    for (const t of texts) assert.equal(decode(`s: ${t}\n`).s, t, t);
    assert.equal(decode('s: "quoted: yes"\n').s, 'quoted: yes');
    assert.equal(decode('s: !!binary aGVsbG8=\n').s, 'hello');
    assert.equal(decode('s: |\n  a\n  b\n').s, 'a\nb\n');
    assert.equal(decode('s: >\n  a\n  b\n').s, 'a b\n');
  });

  test('null, ~ and an empty value give the zero value', () => {
    assert.deepEqual(decode('n: ~\ns: null\nb: \nl: ~\nm: NULL\np: ~\n'), ZERO);
  });

  test('int64 from ints, and floats truncated toward zero', () => {
    assert.equal(decode('n: +1700000000\n').n, 1700000000n);
    assert.equal(decode('n: 1_700_000_000\n').n, 1700000000n);
    assert.equal(decode('n: 0b1\n').n, 1n);
    assert.equal(decode('n: 09\n').n, 9n);
    assert.equal(decode('n: 1700000007.5\n').n, 1700000007n);
    assert.equal(decode('n: -1.5\n').n, -1n);
    assert.equal(decode('n: 0.5\n').n, 0n);
    assert.equal(decode('n: 1.7e9\n').n, 1700000000n);
    assert.equal(decode('n: !!int "12"\n').n, 12n);
    assert.equal(decode('n: !!float 12\n').n, 12n);
    assert.equal(decode('n: 9223372036854775807\n').n, 9223372036854775807n);
    assert.equal(decode('n: -9223372036854775808\n').n, -9223372036854775808n);
  });

  test('floats at the int64 edge behave as Go on amd64: 2^63 passes the check and wraps to MinInt64', () => {
    assert.equal(decode('n: 9223372036854775807.0\n').n, -9223372036854775808n);
    assert.equal(decode('n: -9.3e18\n').n, -9223372036854775808n);
  });

  test('bool fields take only YAML 1.1 booleans', () => {
    assert.equal(decode('b: Y\n').b, true);
    assert.equal(decode('b: OFF\n').b, false);
    assert.equal(refused('b: 1\n').message, 'line 1: cannot unmarshal !!int `1` into bool');
    assert.equal(refused('b: "true"\n').message, 'line 1: cannot unmarshal !!str `true` into bool');
  });

  test('an explicit !!str tag makes a string', () => {
    assert.equal(refused('n: !!str 12\n').message, 'line 1: cannot unmarshal !!str `12` into int64');
    assert.equal(decode('s: !!str 12\n').s, '12');
  });
});

describe("decodeYamlV2: type errors in yaml.v2's words", () => {
  const cases: Array<[string, string]> = [
    ['n: x\n', 'line 1: cannot unmarshal !!str `x` into int64'],
    ['s: a\nn: "2023-01-01"\n', 'line 2: cannot unmarshal !!str `2023-01-01` into int64'],
    ['n: 2023-01-01\n', 'line 1: cannot unmarshal !!timestamp `2023-01-01` into int64'],
    ['n: true\n', 'line 1: cannot unmarshal !!bool `true` into int64'],
    ['n: yes\n', 'line 1: cannot unmarshal !!bool `yes` into int64'],
    ['n: .inf\n', 'line 1: cannot unmarshal !!float `.inf` into int64'],
    ['n: .nan\n', 'line 1: cannot unmarshal !!float `.nan` into int64'],
    ['n: 1e30\n', 'line 1: cannot unmarshal !!float `1e30` into int64'],
    ['n: 9.3e18\n', 'line 1: cannot unmarshal !!float `9.3e18` into int64'],
    ['n: [1]\n', 'line 1: cannot unmarshal !!seq into int64'],
    ['n: {a: 1}\n', 'line 1: cannot unmarshal !!map into int64'],
    ['n: 190:20:30\n', 'line 1: cannot unmarshal !!str `190:20:30` into int64'],
    ['s: [a]\n', 'line 1: cannot unmarshal !!seq into string'],
    ['s: {a: b}\n', 'line 1: cannot unmarshal !!map into string'],
    ['l: create\n', 'line 1: cannot unmarshal !!str `create` into []string'],
    ['l: {a: b}\n', 'line 1: cannot unmarshal !!map into []string'],
    ['m: [a]\n', 'line 1: cannot unmarshal !!seq into map[string]string'],
    ['m: text\n', 'line 1: cannot unmarshal !!str `text` into map[string]string'],
    ['m: {k: [a]}\n', 'line 1: cannot unmarshal !!seq into string'],
    ['p: text\n', 'line 1: cannot unmarshal !!str `text` into api.Inner'],
    ['mp: [a]\n', 'line 1: cannot unmarshal !!seq into map[string]*api.Inner'],
    ['- a\n', 'line 1: cannot unmarshal !!seq into api.T'],
    ['hello\n', 'line 1: cannot unmarshal !!str `hello` into api.T'],
    ['1700000000\n', 'line 1: cannot unmarshal !!int `1700000000` into api.T'],
  ];
  for (const [text, message] of cases) {
    test(JSON.stringify(text), () => {
      const err = refused(text);
      assert.equal(err.message, message);
      assert.equal(err.kind, 'type');
    });
  }

  test('values longer than 10 characters are cut to 7 and "..."; 10 are shown whole', () => {
    assert.equal(refused('n: abcdefghij\n').message, 'line 1: cannot unmarshal !!str `abcdefghij` into int64');
    assert.equal(refused('n: abcdefghijk\n').message, 'line 1: cannot unmarshal !!str `abcdefg...` into int64');
    assert.equal(refused('n: 9223372036854775808\n').message, 'line 1: cannot unmarshal !!int `9223372...` into int64');
    assert.equal(refused('n: 18446744073709551615\n').message, 'line 1: cannot unmarshal !!int `1844674...` into int64');
    assert.equal(refused('n: " 1700000000"\n').message, 'line 1: cannot unmarshal !!str ` 170000...` into int64');
  });

  test('line numbers count from 1 and follow comments and blank lines', () => {
    assert.equal(refused('# comment\n\ns: ok\n\nn: bad\n').message, 'line 5: cannot unmarshal !!str `bad` into int64');
    assert.equal(refused('m:\n  a: b\n  c:\n    - x\n').message, 'line 4: cannot unmarshal !!seq into string');
  });

  test('every error is counted; the first is reported', () => {
    const err = refused('n: x\nb: 5\ns: [a]\n');
    assert.equal(err.message, 'line 1: cannot unmarshal !!str `x` into int64 (and 2 more)');
  });
});

describe('decodeYamlV2: mappings, documents and anchors', () => {
  test('unknown keys are ignored, at the top and in nested structs', () => {
    assert.deepEqual(decode('zzz: 1\ns: x\nother: [1, {a: b}]\np: {a: y, extra: [1]}\n'), {...ZERO, s: 'x', p: {a: 'y', n: 0n}});
  });

  test('keys are case-sensitive: "S" is not "s"', () => {
    assert.deepEqual(decode('S: x\n'), ZERO);
  });

  test('duplicate keys: the last one wins', () => {
    assert.equal(decode('s: a\ns: b\n').s, 'b');
    // …but a repeated map or pointer field is decoded into what the first one left (yaml.v2).
    assert.deepEqual(decode('m: {k: "1"}\nm: {j: "2"}\n').m, {k: '1', j: '2'});
    assert.deepEqual(decode('p: {a: x}\np: {n: 1}\n').p, {a: 'x', n: 1n});
    assert.deepEqual(decode('m: {k: 1, k: 2}\n').m, {k: '2'});
    // The earlier value is still decoded, so its error counts.
    assert.equal(refused('n: x\nn: 1\n').message, 'line 1: cannot unmarshal !!str `x` into int64');
  });

  test('map keys that resolve to other types keep their text; a null key is ""', () => {
    assert.deepEqual(decode('m: {1: a, true: b, ~: c, 1.10: d, 0x1F: e}\n').m, {'1': 'a', true: 'b', '': 'c', '1.10': 'd', '0x1F': 'e'});
  });

  test('a complex key is refused', () => {
    assert.equal(refused('m: {[a]: b}\n').message, 'line 1: cannot unmarshal !!seq into string');
  });

  test('merge keys: a map, an alias and a list (earlier maps win)', () => {
    assert.deepEqual(decode('base: &b {s: x, n: 5}\n<<: *b\ns: y\n'), {...ZERO, s: 'y', n: 5n});
    assert.deepEqual(decode('<<: [{s: a}, {s: b, n: 2}]\n'), {...ZERO, s: 'a', n: 2n});
    assert.deepEqual(decode('m: {<<: {a: "1", b: "2"}, b: "3"}\n').m, {a: '1', b: '3'});
  });

  // yaml.v2 applies keys in document order, so a merge after a key overrides it (yaml.v3 does
  // not); LXD 5.0.2 stores os: y for `properties: {os: x, <<: {os: y}}`.
  test('a merge after an explicit key overrides it, as in yaml.v2', () => {
    assert.deepEqual(decode('m: {a: x, <<: {a: y}}\n').m, {a: 'y'});
    assert.deepEqual(decode('m: {<<: {a: y}, a: x}\n').m, {a: 'x'});
  });

  test('a merge of a scalar is refused', () => {
    const err = refused('<<: 5\n');
    assert.match(err.message, /map merge requires map or sequence of maps as the value/);
    assert.match(refused('<<: [{s: a}, 5]\n').message, /map merge requires map or sequence of maps/);
  });

  test('"<<" quoted is an ordinary key', () => {
    assert.deepEqual(decode('m: {"<<": x}\n').m, {'<<': 'x'});
  });

  test('aliases are expanded where they are used', () => {
    assert.deepEqual(decode('s: &a hello\nm: {k: *a}\nl: [*a, *a]\n'), {...ZERO, s: 'hello', m: {k: 'hello'}, l: ['hello', 'hello']});
    assert.deepEqual(decode('x: &inner {a: z, n: 7}\np: *inner\nmp: {q: *inner}\n'), {...ZERO, p: {a: 'z', n: 7n}, mp: {q: {a: 'z', n: 7n}}});
  });

  test("an error through an alias is reported at the anchored node's line", () => {
    assert.equal(refused('x: &m {a: "1"}\nl: [*m]\n').message, 'line 1: cannot unmarshal !!map into string');
  });

  test('an unknown anchor is refused', () => {
    assert.match(refused('s: *nope\n').message, /unknown anchor 'nope' referenced/);
  });

  test('a byte-order mark is skipped', () => {
    assert.deepEqual(decode('\uFEFFs: bom\nn: 1\n'), {...ZERO, s: 'bom', n: 1n});
  });

  test('several documents: only the first is used, and later ones may be broken', () => {
    assert.equal(decode('s: first\n---\ns: second\n').s, 'first');
    assert.equal(decode('s: first\n---\n[unclosed\n').s, 'first');
    assert.equal(decode('---\ns: first\n...\ngarbage: [\n').s, 'first');
  });

  test('JSON is YAML', () => {
    assert.deepEqual(decode('{"s": "x", "n": 5, "b": true, "l": ["a"], "m": {"k": 1}}'), {...ZERO, s: 'x', n: 5n, b: true, l: ['a'], m: {k: '1'}});
  });

  test('CRLF and CR-only line ends', () => {
    assert.deepEqual(decode('s: x\r\nn: 2\r\n'), {...ZERO, s: 'x', n: 2n});
  });

  test('a YAML 1.1 directive is accepted, any other version refused', () => {
    assert.equal(decode('%YAML 1.1\n---\ns: x\n').s, 'x');
    assert.match(refused('%YAML 1.2\n---\ns: x\n').message, /incompatible YAML document/);
  });

  test('no document at all is EOF for a Decoder (metadata.yaml), the zero value for Unmarshal (edit)', () => {
    for (const text of ['', '# only a comment\n', '   \n\n']) {
      const err = refused(text, T, {emptyIsEOF: true});
      assert.equal(err.kind, 'syntax');
      assert.match(err.message, /EOF/);
      assert.deepEqual(decode(text), ZERO);
    }
  });

  test('a null document decodes to the zero value', () => {
    assert.deepEqual(decode('~\n'), ZERO);
  });

  test('syntax errors carry a line and kind "syntax"', () => {
    const err = refused('s: ok\nm: {a: b\n');
    assert.equal(err.kind, 'syntax');
    assert.match(err.message, /^line \d+: /);
    assert.equal(refused('s: [unclosed\n  foo: : bar\n').kind, 'syntax');
  });

  test('control characters are refused; tab, LF and CR are fine', () => {
    assert.match(refused('s: x\0\n').message, /control characters are not allowed/);
    assert.match(refused('s: "\x07"\n').message, /control characters/);
    assert.equal(decode('s: "a\tb"\n').s, 'a\tb');
  });

  test('`into` decodes over an existing value key by key', () => {
    const first = decode('s: a\nn: 1\nm: {x: "1"}\n');
    const v = decodeYamlV2<TV>('n: 2\nm: {y: "2"}\n', T, {into: first});
    assert.equal(v.s, 'a', 'kept');
    assert.equal(v.n, 2n, 'overwritten');
    // yaml.v2 decodes a map into the existing map (no reset), so both keys remain.
    assert.deepEqual(v.m, {x: '1', y: '2'});
  });
});

describe('decodeYamlV2: hostile documents', () => {
  // A recursive type, so that expanding the bomb is real work: [][][]…string.
  let deep: GoType = {kind: 'string'};
  for (let i = 0; i < 12; i++) deep = {kind: 'slice', elem: deep};
  const DEEP: GoType = {kind: 'struct', name: 'api.Deep', fields: {l: deep}};
  let bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 10; i++) {
    const k = String.fromCharCode(97 + i);
    const prev = String.fromCharCode(96 + i);
    bomb += `${k}: &${k} [${Array(10).fill(`*${prev}`).join(', ')}]\n`;
  }
  bomb += 'l: *j\n';

  test('an alias bomb exceeds the node budget: YamlV2Error kind "limit"', () => {
    const err = refused(bomb, DEEP, {maxNodes: 100_000});
    assert.equal(err.kind, 'limit');
    assert.match(err.message, /excessive aliasing/);
  });

  test('the budget counts every node: a small document within it passes, the same one under a tiny budget does not', () => {
    const small = 'a: &a [x, x, x]\nl: [*a, *a, *a]\n';
    let two: GoType = {kind: 'string'};
    two = {kind: 'slice', elem: {kind: 'slice', elem: two}};
    const S: GoType = {kind: 'struct', name: 'S', fields: {l: two}};
    assert.deepEqual(decodeYamlV2<{l: string[][]}>(small, S, {maxNodes: 100}).l, [
      ['x', 'x', 'x'],
      ['x', 'x', 'x'],
      ['x', 'x', 'x'],
    ]);
    // 1 document + 1 seq + 3 aliases' seqs + 9 scalars = 14 nodes.
    assert.equal(refused(small, S, {maxNodes: 5}).kind, 'limit');
  });

  test('the bomb under unknown keys is never expanded', () => {
    const S: GoType = {kind: 'struct', name: 'S', fields: {s: {kind: 'string'}}};
    const v = decodeYamlV2<{s: string}>(bomb.replace('l: *j', 'ignored: *j') + 's: ok\n', S, {maxNodes: 1000});
    assert.equal(v.s, 'ok');
  });

  test('a self-referencing anchor does not hang', () => {
    // An alias to its own enclosing node, where the type does recurse into it.
    const rec: GoType = {
      kind: 'struct',
      name: 'R',
      fields: {m: {kind: 'map', value: {kind: 'ptr', elem: {kind: 'struct', name: 'R2', fields: {c: {kind: 'map', value: {kind: 'string'}}}}}}},
    };
    for (const text of ['l: &x [a, *x]\n', 'm: &x {a: *x}\n']) {
      assert.throws(() => decodeYamlV2(text, T), YamlV2Error, text);
    }
    assert.throws(() => decodeYamlV2('m: &x {k: {c: *x}}\n', rec), YamlV2Error);
    // Unknown fields are not followed, so these are fine.
    assert.deepEqual(decode('p: &x {a: b, c: *x}\n').p, {a: 'b', n: 0n});
    assert.deepEqual(decode('x: &x {p: *x}\np: *x\n').p, {a: '', n: 0n});
  });

  // yaml.v2 only fails "anchor … value contains itself" when decoding re-enters the same alias;
  // here the alias is decoded as a struct with no field "/x", so the value is an empty entry.
  // Checked with LXD 5.0.2: `templates: &t {/x: *t}` in metadata.yaml is accepted.
  test('a self-reference that decoding never follows is accepted, as yaml.v2 does', () => {
    assert.deepEqual(decode('mp: &t {/x: *t}\n').mp, {'/x': {a: '', n: 0n}});
  });

  // yaml.v2 reports a type mismatch here: the alias is decoded as a string, which stops there.
  // Checked with LXD 5.0.2 (`when: &w [create, *w]`): "line 5: cannot unmarshal !!seq into string".
  test('a list containing itself, decoded into []string, is a type error as in yaml.v2', () => {
    assert.equal(refused('l: &x [a, *x]\n').message, 'line 1: cannot unmarshal !!seq into string');
  });

  test('an anchor on an alias is a syntax error', () => {
    const err = refused('a: &a v\nb: &b *a\ns: *b\n');
    assert.equal(err.kind, 'syntax');
    assert.match(err.message, /^line 2: /);
  });
});
