// The read-ahead arena: regions lent in order never overlap, wrap around, and wait for the oldest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FifoArena } from '../../src/mover/fifo-arena.ts';

test('regions are lent in order, wrap around, and never overlap a region still lent', () => {
  const arena = new FifoArena(100);
  const lent: Buffer[] = [];
  const take = (n: number): Buffer | undefined => { const r = arena.take(n); if (r) lent.push(r); return r; };
  const back = (): void => { arena.giveBack(); lent.shift(); };
  const overlaps = (): boolean => lent.some((a, i) => lent.some((b, j) => i !== j && a.length > 0 && b.length > 0 &&
    a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length));
  assert.ok(take(40) && take(40));
  assert.equal(take(30), undefined, 'only 20 bytes are free');
  back(); // frees [0, 40)
  assert.ok(take(30), 'wraps around to the start');
  assert.equal(take(15), undefined, 'the region after it is still lent');
  assert.ok(take(10) && take(0));
  assert.ok(!overlaps());
  back(); back(); back(); back();
  assert.ok(take(100), 'everything back: the whole arena');
  assert.equal(take(1), undefined);
  assert.equal(new FifoArena(10).take(11), undefined, 'larger than the arena');
});

test('a long run of random sizes never lends overlapping bytes', () => {
  const arena = new FifoArena(1000);
  const lent: Buffer[] = [];
  let seed = 7;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let i = 0; i < 20_000; i++) {
    if (lent.length > 0 && rand(3) === 0) { arena.giveBack(); lent.shift(); continue; }
    const r = arena.take(rand(400));
    if (!r) { if (lent.length > 0) { arena.giveBack(); lent.shift(); } continue; }
    r.fill(i & 0xff);
    for (const other of lent) {
      const a = r.byteOffset, b = other.byteOffset;
      if (r.length > 0 && other.length > 0) assert.ok(a + r.length <= b || b + other.length <= a, 'overlap');
    }
    lent.push(r);
  }
});
