// src/lib/yaml/scalars.ts: gopkg.in/yaml.v2's resolve() table, as LXD 5.0.2 reads metadata.yaml.
// Expected values follow yaml.v2 (resolve.go) and Go's strconv.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {resolvePlain} from '../../../src/lib/yaml/scalars.js';
type Tag = ReturnType<typeof resolvePlain>['tag'];

function resolves(text: string, tag: Tag, value: unknown): void {
  const r = resolvePlain(text);
  assert.equal(r.tag, tag, `${JSON.stringify(text)} resolves to ${tag}`);
  if (typeof value === 'number' && Number.isNaN(value)) assert.ok(Number.isNaN(r.value as number), `${JSON.stringify(text)} is NaN`);
  else assert.equal(r.value, value, `${JSON.stringify(text)} has value ${String(value)}`);
}

describe('resolvePlain: the yaml.v2 resolution table', () => {
  test('YAML 1.1 booleans, in the three spellings yaml.v2 knows', () => {
    for (const t of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) resolves(t, '!!bool', true);
    for (const t of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) resolves(t, '!!bool', false);
  });

  test('mixed-case spellings are strings', () => {
    for (const t of ['yEs', 'tRUE', 'oN', 'nO', 'FaLsE', 'YeS', 'ye', 'tru']) resolves(t, '!!str', t);
  });

  test('nulls: ~, null, Null, NULL and the empty string', () => {
    for (const t of ['~', 'null', 'Null', 'NULL', '']) resolves(t, '!!null', null);
    resolves('nULL', '!!str', 'nULL');
  });

  test('decimal ints with and without a sign', () => {
    resolves('0', '!!int', 0n);
    resolves('42', '!!int', 42n);
    resolves('+12', '!!int', 12n);
    resolves('-12', '!!int', -12n);
    resolves('-0', '!!int', 0n);
  });

  test('Go base prefixes: 0x, 0o, 0b and leading-zero octal', () => {
    resolves('0x1F', '!!int', 31n);
    resolves('0X1f', '!!int', 31n);
    resolves('-0x10', '!!int', -16n);
    resolves('0o17', '!!int', 15n);
    resolves('0O17', '!!int', 15n);
    resolves('0b101', '!!int', 5n);
    resolves('0B11', '!!int', 3n);
    resolves('0755', '!!int', 493n);
    resolves('014', '!!int', 12n);
    resolves('-010', '!!int', -8n);
  });

  test('underscores are removed before parsing', () => {
    resolves('1_000', '!!int', 1000n);
    resolves('1_700_000_000', '!!int', 1700000000n);
    resolves('1__0', '!!int', 10n);
    resolves('0x_1F', '!!int', 31n);
    resolves('1_000.5', '!!float', 1000.5);
  });

  test('ints up to uint64 max are !!int; beyond that they are floats', () => {
    resolves('9223372036854775807', '!!int', 9223372036854775807n);
    resolves('9223372036854775808', '!!int', 9223372036854775808n);
    resolves('18446744073709551615', '!!int', 18446744073709551615n);
    resolves('-9223372036854775808', '!!int', -9223372036854775808n);
    resolves('18446744073709551616', '!!float', 2 ** 64);
    resolves('-9223372036854775809', '!!float', -(2 ** 63));
  });

  test('"08" and "09" are not Go ints (bad octal digit) but match the float pattern: float 8 and 9', () => {
    resolves('08', '!!float', 8);
    resolves('09', '!!float', 9);
    resolves('0009', '!!float', 9);
  });

  test('invalid prefixed ints are strings', () => {
    for (const t of ['0x', '0xg', '0o8', '0b2', '0b', '1e', '-', '+', '1a', '0x1.5', '1:20', '190:20:30']) resolves(t, '!!str', t);
  });

  test('floats', () => {
    resolves('1.5', '!!float', 1.5);
    resolves('.5', '!!float', 0.5);
    resolves('+.5', '!!float', 0.5);
    resolves('-.5', '!!float', -0.5);
    resolves('1.', '!!float', 1);
    resolves('1e3', '!!float', 1000);
    resolves('1E3', '!!float', 1000);
    resolves('1.7e9', '!!float', 1.7e9);
    resolves('-2.5e-3', '!!float', -0.0025);
    resolves('.5e3', '!!float', 500);
    resolves('1.10', '!!float', 1.1);
  });

  test('special floats', () => {
    for (const t of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) resolves(t, '!!float', Infinity);
    for (const t of ['-.inf', '-.Inf', '-.INF']) resolves(t, '!!float', -Infinity);
    for (const t of ['.nan', '.NaN', '.NAN']) resolves(t, '!!float', NaN);
    for (const t of ['.iNf', 'inf', 'nan', 'NaN', 'Infinity', '.']) resolves(t, '!!str', t);
  });

  test('timestamps in the four layouts yaml.v2 tries', () => {
    for (const t of [
      '2023-01-01',
      '2023-1-2',
      '2023-01-01T10:00:00Z',
      '2023-01-01t10:00:00Z',
      '2023-01-01T10:00:00.123456789+02:00',
      '2023-01-01T10:00:00-05:30',
      '2023-1-2 3:04:05',
      '2023-01-01 10:00:00.5',
    ])
      resolves(t, '!!timestamp', t);
  });

  test('almost-timestamps are strings', () => {
    for (const t of ['2023-01-01T10:00:00', '2023-01-01 10:00:00Z', '2023-01-01x', '20230-01-01', '2023-01-01T10:00:00+0100', '2023/01/01']) {
      resolves(t, '!!str', t);
    }
    // Five digits then a dash: not a timestamp, and not a number either.
    resolves('+2023-01-01', '!!str', '+2023-01-01');
  });

  // yaml.v2 uses Go's time.Parse, which checks each field's range; a text that fails is a plain
  // !!str. Checked with LXD 5.0.2: `creation_date: 2023-13-45` is refused with
  // "cannot unmarshal !!str `2023-13-45` into int64" (and likewise 2023-02-30 and hour 25).
  test('timestamps with out-of-range fields are strings (Go time.Parse validates them)', () => {
    for (const t of ['2023-13-45', '2023-02-30', '2023-00-10', '2023-01-32', '2023-01-01 25:00:00', '2023-01-01T10:61:00Z']) resolves(t, '!!str', t);
  });

  test('"<<" is the merge tag', () => {
    resolves('<<', '!!merge', '<<');
    resolves('<<<', '!!str', '<<<');
  });

  test('other text is a string', () => {
    for (const t of ['abc', 'x86_64', '_1', 'hello world', '=', '1.2.3', 'v1.0', '0.0.0.0', '-foo']) resolves(t, '!!str', t);
  });
});
