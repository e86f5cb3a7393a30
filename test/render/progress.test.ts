// src/render/progress.ts: the one progress line on a terminal, and publish's phases in it as
// lxc publish shows them; nothing at all when it is not a terminal.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {formatBytes, Progress, showBuild} from '../../src/render/progress.js';

/** A stand-in for stderr that records what is written. */
function screen(): {stream: NodeJS.WriteStream; text: () => string} {
  let out = '';
  const stream = {write: (s: string) => ((out += s), true)} as unknown as NodeJS.WriteStream;
  return {stream, text: () => out};
}

describe('showBuild', () => {
  test('each phase under its own label, then its percent of the total and a rate; the last update always shows', () => {
    const s = screen();
    const show = showBuild(new Progress('Publishing', true, s.stream));
    show({phase: 'pack', done: 0, total: 2_000_000});
    show({phase: 'pack', done: 2_000_000, total: 2_000_000});
    show({phase: 'squashfs', done: 0});
    show({phase: 'hash', done: 500_000, total: 1_000_000});
    const frames = s.text().split('\r\x1b[K').filter(Boolean);
    assert.equal(frames[0], 'Image pack…');
    assert.match(frames[1]!, /^Image pack: 0% \(0B\/2\.00MB\) \S+\/s$/);
    assert.match(frames[2]!, /^Image pack: 100% \(2\.00MB\/2\.00MB\) \S+\/s$/);
    assert.equal(frames[3], 'Squashfs (mksquashfs)…');
    assert.equal(frames[4], 'Hashing…');
    assert.match(frames[5]!, /^Hashing: 50% \(500\.00KB\/1\.00MB\) \S+\/s$/, "a phase's first figures show at once");
    assert.equal(frames.length, 6);
  });

  test('not a terminal: nothing is written', () => {
    const s = screen();
    const show = showBuild(new Progress('Publishing', false, s.stream));
    show({phase: 'pack', done: 10, total: 10});
    show({phase: 'squashfs', done: 0});
    assert.equal(s.text(), '');
  });
});

describe('formatBytes', () => {
  test('decimal units as lxc prints them', () => {
    assert.deepEqual([0, 999, 1000, 1_234_567, 5e9].map(formatBytes), ['0B', '999B', '1.00KB', '1.23MB', '5.00GB']);
  });
});
