/** A deterministic generator of 32-bit numbers (an LCG: fast, and good enough to vary sizes). */
export function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x;
  };
}

/** `n` deterministic pseudo-random bytes: different offsets hold different bytes, so a misplaced piece shows. */
export function seededBytes(n: number, seed = 1): Buffer {
  const next = lcg(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = next() >>> 24;
  return b;
}
