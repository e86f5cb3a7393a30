// src/lib/time.ts: Unix seconds formatted as Go formats time.Time in RFC 3339 (UTC), for any
// int64, and LXD's notion of an unset time.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {EPOCH, GO_ZERO_TIME, isUnset, nowRfc3339, unixToRfc3339} from '../../src/lib/time.js';

describe('unixToRfc3339', () => {
  const cases: Array<[bigint | number, string]> = [
    [0, '1970-01-01T00:00:00Z'],
    [1, '1970-01-01T00:00:01Z'],
    [-1, '1969-12-31T23:59:59Z'],
    [-5, '1969-12-31T23:59:55Z'],
    [-86400, '1969-12-31T00:00:00Z'],
    [-86401, '1969-12-30T23:59:59Z'],
    [1700000000, '2023-11-14T22:13:20Z'],
    [1700000007, '2023-11-14T22:13:27Z'],
    [1900000000, '2030-03-17T17:46:40Z'],
    [951782400, '2000-02-29T00:00:00Z'],
    [4107456000, '2100-02-28T00:00:00Z'],
    [4107542400, '2100-03-01T00:00:00Z'],
    [253402300799, '9999-12-31T23:59:59Z'],
    [253402300800, '10000-01-01T00:00:00Z'],
    [-62135596800, '0001-01-01T00:00:00Z'],
    [-62167219200, '0000-01-01T00:00:00Z'],
    [-62167219201, '-0001-12-31T23:59:59Z'],
    // Go: time.Unix(math.MaxInt64, 0).UTC().Format(time.RFC3339), and MinInt64 likewise.
    [9223372036854775807n, '292277026596-12-04T15:30:07Z'],
    [-9223372036854775808n, '-292277022657-01-27T08:29:52Z'],
  ];
  for (const [seconds, expected] of cases) {
    test(`${seconds} → ${expected}`, () => assert.equal(unixToRfc3339(seconds), expected));
  }

  test('numbers and bigints give the same text', () => {
    assert.equal(unixToRfc3339(1700000000), unixToRfc3339(1700000000n));
    assert.equal(unixToRfc3339(-62167219201), unixToRfc3339(-62167219201n));
  });

  test('agrees with Date for every day across four centuries (a day and a second apart)', () => {
    const start = Date.UTC(1900, 0, 1) / 1000;
    for (let s = start; s < Date.UTC(2300, 0, 1) / 1000; s += 86400 * 7 + 3661) {
      assert.equal(unixToRfc3339(s), new Date(s * 1000).toISOString().replace('.000Z', 'Z'), String(s));
    }
  });
});

describe('isUnset', () => {
  test("absent, empty, Go's zero time, the epoch and earlier are unset", () => {
    for (const s of [undefined, '', GO_ZERO_TIME, EPOCH, '1969-12-31T23:59:59Z', '0001-01-01T00:00:00Z']) assert.equal(isUnset(s), true, String(s));
  });

  test('text that is not a time is unset', () => {
    assert.equal(isUnset('garbage'), true);
  });

  test('any time after the epoch is set', () => {
    for (const s of ['1970-01-01T00:00:01Z', '1970-01-01T00:00:00.001Z', '2030-01-02T03:04:05Z', '2026-11-24T08:27:04.81669538Z'])
      assert.equal(isUnset(s), false, s);
  });
});

describe('nowRfc3339', () => {
  test('whole seconds drop the fraction; others keep it', () => {
    assert.equal(nowRfc3339(new Date(Date.UTC(2026, 10, 24, 8, 27, 4))), '2026-11-24T08:27:04Z');
    assert.equal(nowRfc3339(new Date(Date.UTC(2026, 10, 24, 8, 27, 4, 816))), '2026-11-24T08:27:04.816Z');
  });

  test('the constants', () => {
    assert.equal(GO_ZERO_TIME, '0001-01-01T00:00:00Z');
    assert.equal(EPOCH, '1970-01-01T00:00:00Z');
  });
});
