// The writes that restore a file sparsely, from content in chunks of any size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BLOCK, BlockRuns, type WriteRun } from '../../src/mover/files/block-runs.ts';

function plan(chunks: Buffer[], sparse = true): { runs: [number, number][]; length: number; endsInHole: boolean; bytes: Buffer[] } {
  const b = new BlockRuns(sparse);
  const runs: WriteRun[] = chunks.flatMap((c) => b.push(c));
  const end = b.end();
  runs.push(...end.runs);
  return { runs: runs.map((r) => [r.offset, r.buffers.reduce((n, x) => n + x.length, 0)]), length: end.length, endsInHole: end.endsInHole, bytes: runs.map((r) => Buffer.concat(r.buffers)) };
}

const data = (n: number, fill = 7): Buffer => Buffer.alloc(n, fill);
const zeros = (n: number): Buffer => Buffer.alloc(n);

test('zero blocks are left out, wherever chunk boundaries fall', () => {
  const content = Buffer.concat([data(BLOCK), zeros(2 * BLOCK), data(BLOCK + 100)]);
  for (const cut of [1, 1000, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK]) {
    const chunks = [content.subarray(0, cut), content.subarray(cut)];
    const p = plan(chunks);
    assert.deepEqual(p.runs, [[0, BLOCK], [3 * BLOCK, BLOCK + 100]], `cut at ${cut}`);
    assert.deepEqual(Buffer.concat(p.bytes), Buffer.concat([data(BLOCK), data(BLOCK + 100)]));
    assert.equal(p.length, content.length);
    assert.equal(p.endsInHole, false);
  }
});

test('a file ending in zeros ends in a hole; without sparse everything is written', () => {
  const p = plan([data(10), zeros(2 * BLOCK)]);
  assert.deepEqual(p.runs, [[0, BLOCK]]);
  assert.equal(p.length, 2 * BLOCK + 10);
  assert.equal(p.endsInHole, true);
  const dense = plan([data(10), zeros(2 * BLOCK)], false);
  assert.deepEqual(dense.runs, [[0, 2 * BLOCK + 10]]);
  assert.equal(dense.endsInHole, false);
});

test('runs are cut every sixteen blocks; a partial zero tail is a hole; empty content writes nothing', () => {
  assert.deepEqual(plan([data(40 * BLOCK)]).runs, [[0, 16 * BLOCK], [16 * BLOCK, 16 * BLOCK], [32 * BLOCK, 8 * BLOCK]]);
  const tail = plan([data(BLOCK), zeros(500)]);
  assert.deepEqual([tail.runs, tail.length, tail.endsInHole], [[[0, BLOCK]], BLOCK + 500, true]);
  assert.deepEqual(plan([]).runs, []);
  assert.equal(plan([]).length, 0);
});
