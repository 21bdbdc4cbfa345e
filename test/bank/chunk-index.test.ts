// The chunk table: every id added is found with its location, absent ids are not, the first copy
// of an id wins, the chunks of a frame share one location, and it stays right across growth, wrap-around and ids that share their first bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ChunkIndex } from '../../src/bank/chunk-index.ts';

const idOf = (n: number): Buffer => createHash('sha256').update(`chunk ${n}`).digest();

for (const expected of [0, 30_000, 5]) {
  test(`30,000 ids, sized for ${expected}: each found with its location, others not`, () => {
    const index = new ChunkIndex(expected);
    for (let n = 0; n < 30_000; n++) assert.equal(index.add(idOf(n), `pack-${n % 7}`, n, n + 1, n % 1000), true);
    assert.equal(index.size, 30_000);
    for (let n = 0; n < 30_000; n++) assert.deepEqual(index.get(idOf(n)), { packId: `pack-${n % 7}`, offset: n, length: n + 1, frameRaw: n % 1000 });
    for (let n = 30_000; n < 40_000; n++) assert.equal(index.has(idOf(n)), false);
    assert.deepEqual(index.packIds().sort(), ['pack-0', 'pack-1', 'pack-2', 'pack-3', 'pack-4', 'pack-5', 'pack-6']);
  });
}

test('the first location of an id wins', () => {
  const index = new ChunkIndex();
  assert.equal(index.add(idOf(1), 'a', 10, 20, 5), true);
  assert.equal(index.add(idOf(1), 'b', 30, 40, 6), false);
  assert.deepEqual(index.get(idOf(1)), { packId: 'a', offset: 10, length: 20, frameRaw: 5 });
  assert.equal(index.size, 1);
});

test('ids that share their first word probe on, including past the end of the table', () => {
  const index = new ChunkIndex();
  // First word 0xffffffff: the last slot, so the second and third wrap around to the start.
  const ids = [1, 2, 3].map((n) => { const id = idOf(n); id.writeUInt32LE(0xffffffff, 0); return id; });
  // Same first 16 bytes but the last: the table holds 16 bytes of each id, so these count as one.
  const twin = Buffer.from(ids[0]!); twin[31]! ^= 1;
  ids.forEach((id, i) => index.add(id, `p${i}`, i, 1, 1));
  ids.forEach((id, i) => assert.equal(index.get(id)?.packId, `p${i}`));
  const other = Buffer.from(ids[0]!); other[15]! ^= 1;
  assert.equal(index.has(other), false, 'a difference within the first 16 bytes is another id');
  assert.equal(index.get(twin)?.packId, 'p0');
});

test('marks stay with their ids across growth and leave locations alone', () => {
  const index = new ChunkIndex();
  for (let n = 0; n < 100; n++) index.add(idOf(n), `p${n}`, n, 1, 2);
  for (let n = 0; n < 100; n += 3) assert.equal(index.mark(idOf(n)), true);
  assert.equal(index.mark(idOf(0)), false, 'marked twice');
  assert.equal(index.mark(idOf(1000)), false, 'an id the index lacks cannot be marked');
  for (let n = 100; n < 5000; n++) index.add(idOf(n), `p${n}`, n, 1, 2);
  for (let n = 0; n < 200; n++) assert.equal(index.isMarked(idOf(n)), n < 100 && n % 3 === 0, `id ${n}`);
  assert.deepEqual(index.get(idOf(3)), { packId: 'p3', offset: 3, length: 1, frameRaw: 2 });
  assert.equal(index.isMarked(idOf(1000)), false);
});

test('the chunks of a frame share its location; a frame met again later is the same place', () => {
  const index = new ChunkIndex();
  // Two frames of one pack, chunks in order; a duplicate in the middle of the second; then the first
  // frame's place again, as a second index object naming the same pack would give it.
  for (let n = 0; n < 16; n++) index.add(idOf(n), 'pack', 0, 1000, 16 * 65_536);
  index.add(idOf(16), 'pack', 1000, 500, 131_072);
  assert.equal(index.add(idOf(3), 'pack', 1000, 500, 131_072), false);
  index.add(idOf(17), 'pack', 1000, 500, 131_072);
  index.add(idOf(18), 'pack', 0, 1000, 16 * 65_536);
  for (let n = 0; n < 16; n++) assert.deepEqual(index.get(idOf(n)), { packId: 'pack', offset: 0, length: 1000, frameRaw: 16 * 65_536 });
  for (const n of [16, 17]) assert.deepEqual(index.get(idOf(n)), { packId: 'pack', offset: 1000, length: 500, frameRaw: 131_072 });
  assert.deepEqual(index.get(idOf(18)), { packId: 'pack', offset: 0, length: 1000, frameRaw: 16 * 65_536 });
  // Frames outnumber their first allocation: the frame table grows and keeps every location.
  const many = new ChunkIndex();
  for (let n = 0; n < 3000; n++) many.add(idOf(n), `p${n % 3}`, n * 10, n + 1, n);
  for (let n = 0; n < 3000; n++) assert.deepEqual(many.get(idOf(n)), { packId: `p${n % 3}`, offset: n * 10, length: n + 1, frameRaw: n });
});

test('walked is a flag of its own: it neither marks nor needs a mark, and leaves locations alone', () => {
  const index = new ChunkIndex();
  index.add(idOf(1), 'p', 1, 2, 3);
  index.add(idOf(2), 'p', 1, 2, 3);
  assert.equal(index.mark(idOf(1)), true);
  assert.equal(index.markWalked(idOf(1)), true, 'a marked chunk was not walked yet');
  assert.equal(index.markWalked(idOf(1)), false, 'walked twice');
  assert.equal(index.markWalked(idOf(2)), true);
  assert.equal(index.isMarked(idOf(2)), false, 'walking does not mark');
  assert.equal(index.markWalked(idOf(3)), false, 'an id the index lacks cannot be walked');
  for (const n of [1, 2]) assert.deepEqual(index.get(idOf(n)), { packId: 'p', offset: 1, length: 2, frameRaw: 3 });
});

test('addMany, as a bank is loaded: the same table as add one by one, first copy wins, growth when sized too small', () => {
  const words = (ids: Buffer[]): Uint32Array => {
    const w = new Uint32Array(ids.length * 4);
    ids.forEach((id, i) => { for (let k = 0; k < 4; k++) w[i * 4 + k] = id.readUInt32LE(4 * k); });
    return w;
  };
  for (const sized of [40_000, 10]) {
    const index = new ChunkIndex(sized);
    // Two batches of 20,000, the second repeating 5,000 ids of the first at other places.
    const first = Array.from({ length: 20_000 }, (_, n) => idOf(n));
    const frames1 = Uint32Array.from(first, (_, n) => index.frameOf(`pack-${Math.floor(n / 16) % 3}`, Math.floor(n / 16) * 100, 90, 16 * 65536));
    assert.equal(index.addMany(words(first), frames1, first.length), 20_000);
    const second = Array.from({ length: 20_000 }, (_, n) => idOf(n + 15_000));
    const frames2 = Uint32Array.from(second, (_, n) => index.frameOf('late', n * 10, 9, 65536));
    assert.equal(index.addMany(words(second), frames2, second.length), 15_000, 'ids already present are not added again');
    assert.equal(index.size, 35_000);
    for (let n = 0; n < 20_000; n++) assert.deepEqual(index.get(idOf(n)), { packId: `pack-${Math.floor(n / 16) % 3}`, offset: Math.floor(n / 16) * 100, length: 90, frameRaw: 16 * 65536 });
    for (let n = 20_000; n < 35_000; n++) assert.deepEqual(index.get(idOf(n)), { packId: 'late', offset: (n - 15_000) * 10, length: 9, frameRaw: 65536 });
    for (let n = 35_000; n < 40_000; n++) assert.equal(index.has(idOf(n)), false);
    // Entries after the count are not looked at.
    assert.equal(index.addMany(words([idOf(50_000)]), new Uint32Array(1), 0), 0);
    assert.equal(index.has(idOf(50_000)), false);
  }
});
