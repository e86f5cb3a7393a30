// Run every test of the given test files alone (node --test-name-pattern, one process per test),
// to show that no test depends on another having run first. Slow (a process per test), so not
// part of npm test: run it after changing how tests share setup.
//   node scripts/run-each-alone.js test/commands/image/*.test.ts
import {spawnSync} from 'node:child_process';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/run-each-alone.js <test files…>');
  process.exit(2);
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const node = (args) => spawnSync(process.execPath, ['--import', 'tsx', '--test', ...args], {encoding: 'utf8', maxBuffer: 256 << 20});
let ran = 0;
const failed = [];
for (const file of files) {
  const listed = node(['--test-reporter=spec', file]).stdout;
  const names = [...listed.matchAll(/^\s+✔ (.+?) \(\d+(?:\.\d+)?m?s\)$/gm)].map((m) => m[1]);
  for (const name of names) {
    ran++;
    const r = node(['--test-reporter=dot', '--test-name-pattern', `^${escape(name)}$`, file]);
    if (r.status !== 0) failed.push(`${file}: ${name}`);
  }
}
console.log(`${ran} tests run alone, ${failed.length} failed${failed.length ? ':\n  ' + failed.join('\n  ') : ''}`);
process.exit(failed.length ? 1 : 0);
