// Extent lists: sorted, merged and searchable however the extents arrive, and compact enough for a
// million of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExtentList } from '../../src/core/extent-list.ts';

const pairs = (l: ExtentList): [number, number][] => Array.from({ length: l.length }, (_, i) => [l.start(i), l.end(i)]);

test('touching and overlapping extents merge; empty ones vanish; sorted or not, the result is the same', async () => {
  const input = [{ offset: 0, length: 10 }, { offset: 10, length: 5 }, { offset: 12, length: 1 }, { offset: 20, length: 0 }, { offset: 30, length: 10 }, { offset: 35, length: 10 }];
  const expected: [number, number][] = [[0, 15], [30, 45]];
  assert.deepEqual(pairs(await ExtentList.from(input)), expected);
  assert.deepEqual(pairs(await ExtentList.from([...input].reverse())), expected);
  assert.deepEqual(pairs(await ExtentList.from((async function* () { await Promise.resolve(); yield* input; })())), expected);
});

test('firstEnding finds the first extent that ends after an offset', async () => {
  const l = await ExtentList.from([{ offset: 10, length: 10 }, { offset: 40, length: 10 }]);
  assert.deepEqual([0, 10, 19, 20, 25, 49, 50, 99].map((o) => l.firstEnding(o)), [0, 0, 0, 1, 1, 1, 2, 2]);
});

test('intersect keeps only the overlap', async () => {
  const a = await ExtentList.from([{ offset: 0, length: 100 }, { offset: 200, length: 100 }]);
  const b = await ExtentList.from([{ offset: 50, length: 200 }, { offset: 290, length: 50 }]);
  assert.deepEqual(pairs(a.intersect(b)), [[50, 100], [200, 250], [290, 300]]);
  assert.deepEqual(pairs(b.intersect(a)), [[50, 100], [200, 250], [290, 300]]);
});

test('a hundred thousand scattered extents, far past the first allocation, all kept in order', async () => {
  const n = 100_000;
  const l = await ExtentList.from(Array.from({ length: n }, (_, i) => ({ offset: i * 2 ** 26, length: 4096 })));
  assert.equal(l.length, n);
  for (const i of [0, 63, 64, 65, 99_999]) assert.deepEqual([l.start(i), l.end(i)], [i * 2 ** 26, i * 2 ** 26 + 4096]);
  assert.equal(l.firstEnding(5 * 2 ** 26 + 4096), 6);
});
