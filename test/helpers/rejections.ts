import assert from 'node:assert/strict';
import type {TestContext} from 'node:test';

/**
 * Records unhandled promise rejections for the rest of test `t`. `assertNone()` first lets the
 * event loop turn, because Node reports a rejection as unhandled only once microtasks have drained.
 */
export function watchRejections(t: TestContext): {assertNone(): Promise<void>} {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => {
    seen.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  t.after(() => {
    process.off('unhandledRejection', onRejection);
  });
  return {
    async assertNone() {
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(seen, [], 'no unhandled rejection');
    },
  };
}
