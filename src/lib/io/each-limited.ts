/**
 * Work over a list, a few items at a time. After the first failure no further item is started,
 * those under way see their signal aborted, and the failure is thrown once they have all settled:
 * nothing is left running behind the caller's back (a put, a download) after it has given up.
 */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  const abort = new AbortController();
  let next = 0;
  let failed: {err: unknown} | undefined;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item, abort.signal);
      } catch (err) {
        failed ??= {err};
        abort.abort();
      }
    }
  };
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker));
  if (failed) throw failed.err;
}
