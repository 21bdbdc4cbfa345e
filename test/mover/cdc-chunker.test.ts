import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { CdcChunker, chunkStream, createGearTable } from '../../src/mover/cdc-chunker.ts';
import type { CdcParams } from '../../src/mover/cdc-chunker.ts';
import { isCairnError } from '../../src/core/errors.ts';

const KIB = 1024;

/** Deterministic pseudo-random bytes: SHA-256 in counter mode over a seed. */
function pseudoRandom(size: number, seed: string): Uint8Array {
  const out = new Uint8Array(size);
  for (let off = 0, c = 0; off < size; off += 32, c++) {
    const block = createHash('sha256').update(`${seed}:${c}`).digest();
    out.set(block.subarray(0, Math.min(32, size - off)), off);
  }
  return out;
}

function keyOf(label: string): Uint8Array {
  return createHash('sha256').update(label).digest();
}

function small(key = keyOf('key-a')): CdcParams {
  return { gear: createGearTable(key), minSize: 2 * KIB, avgSize: 8 * KIB, maxSize: 32 * KIB };
}

function lengths(chunker: CdcChunker, data: Uint8Array): number[] {
  const out: number[] = [];
  for (let pos = 0; pos < data.length;) {
    const len = chunker.findCut(data, pos, data.length);
    out.push(len);
    pos += len;
  }
  return out;
}

async function collect(source: Iterable<Uint8Array>, chunker: CdcChunker): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of chunkStream(source, chunker)) out.push(chunk);
  return out;
}

function* pieces(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size);
}

const data = pseudoRandom(4 << 20, 'data');

test('the gear table follows the documented HMAC-SHA256 derivation', () => {
  const key = keyOf('gear');
  const gear = createGearTable(key);
  assert.equal(gear.length, 256);
  for (const i of [0, 7, 8, 100, 255]) {
    const block = createHmac('sha256', key).update(Buffer.concat([Buffer.from('cairn-gear-table-v1'), Buffer.of(i >> 3)])).digest();
    assert.equal(gear[i], block.readUInt32BE(4 * (i & 7)));
  }
  assert.notDeepEqual(createGearTable(keyOf('other')), gear);
  assert.throws(() => createGearTable(new Uint8Array(16)), (err) => isCairnError(err, 'bad-input'));
});

test('cut points follow the documented rule (a direct, slow reference)', () => {
  const params = small();
  const { gear, minSize, avgSize, maxSize } = params;
  const bits = Math.log2(avgSize);
  const maskS = (0xffffffff << (32 - bits - 2)) >>> 0, maskL = (0xffffffff << (32 - bits + 2)) >>> 0;
  const window = (k: number): number => {
    let w = 0;
    for (let j = 0; j < 32; j++) w = (w + ((gear[data[k - j]!]! << j) >>> 0)) % 2 ** 32;
    return w;
  };
  const input = data.subarray(0, 256 * KIB);
  const expected: number[] = [];
  for (let s = 0; s < input.length;) {
    let len = Math.min(maxSize, input.length - s);
    for (let l = minSize; l <= Math.min(maxSize, input.length - s); l++) {
      const w = window(s + l - 1);
      if (((w & (l <= avgSize ? maskS : maskL)) >>> 0) === 0) { len = l; break; }
    }
    expected.push(len);
    s += len;
  }
  assert.deepEqual(lengths(new CdcChunker(params), input), expected);
});

test('golden cut points: changing them changes the bank format', () => {
  const chunker = new CdcChunker(small(new Uint8Array(32)));
  assert.deepEqual(lengths(chunker, data.subarray(0, 128 * KIB)), GOLDEN);
});
const GOLDEN = [9233, 9101, 4546, 9614, 8905, 9073, 9139, 13031, 7160, 5962, 9220, 6941, 14801, 7590, 6756];

test('the same key gives the same chunks; another key gives other cut points', () => {
  const a = lengths(new CdcChunker(small()), data);
  assert.deepEqual(lengths(new CdcChunker(small()), data), a);
  const b = lengths(new CdcChunker(small(keyOf('key-b'))), data);
  const cutsOf = (ls: number[]): Set<number> => new Set(ls.map((_, i) => ls.slice(0, i + 1).reduce((x, y) => x + y, 0)));
  const shared = [...cutsOf(a)].filter((c) => cutsOf(b).has(c));
  assert.ok(shared.length <= 2, `${shared.length} of ${a.length} cut points are shared`);
});

test('chunks stay within [minSize, maxSize] except the last, and concatenate to the input', async () => {
  const chunker = new CdcChunker(small());
  const chunks = await collect([data], chunker);
  for (const c of chunks.slice(0, -1)) assert.ok(c.length >= 2 * KIB && c.length <= 32 * KIB, `chunk of ${c.length} bytes`);
  assert.ok(chunks.at(-1)!.length <= 32 * KIB);
  assert.deepEqual(Buffer.concat(chunks), Buffer.from(data));
  const mean = data.length / chunks.length;
  assert.ok(mean > 6 * KIB && mean < 12 * KIB, `mean chunk size ${mean}`);
});

test('read sizes from 1 byte to 1 MiB give identical chunks', async () => {
  const chunker = new CdcChunker(small());
  for (const size of [1, 7, 4096, 65_537, 100_000, 1 << 20]) {
    const input = data.subarray(0, size < 64 ? 256 * KIB : 2 << 20);
    const expected = lengths(chunker, input);
    const got = await collect(pieces(input, size), chunker);
    assert.deepEqual(got.map((c) => c.length), expected, `pieces of ${size}`);
    assert.deepEqual(Buffer.concat(got), Buffer.from(input));
  }
});

test('a growing stream buffer with larger sizes gives the same chunks', async () => {
  const chunker = new CdcChunker({ gear: createGearTable(keyOf('key-a')), minSize: 64 * KIB, avgSize: 256 * KIB, maxSize: 1024 * KIB });
  const expected = lengths(chunker, data);
  for (const size of [4096, 3 << 20]) {
    const got = await collect(pieces(data, size), chunker);
    assert.deepEqual(got.map((c) => c.length), expected, `pieces of ${size}`);
    assert.deepEqual(Buffer.concat(got), Buffer.from(data));
  }
});

test('cuts() with a carried tail matches chunking the whole buffer', () => {
  const chunker = new CdcChunker(small());
  const expected = lengths(chunker, data);
  const got: number[] = [];
  let tail: Uint8Array = new Uint8Array(0);
  const reads = [...pieces(data, 50_000)];
  reads.forEach((piece, i) => {
    const buf = new Uint8Array(tail.length + piece.length);
    buf.set(tail);
    buf.set(piece, tail.length);
    let prev = 0;
    for (const end of chunker.cuts(buf, i < reads.length - 1)) {
      got.push(end - prev);
      prev = end;
    }
    tail = buf.subarray(prev);
  });
  assert.equal(tail.length, 0);
  assert.deepEqual(got, expected);
});

test('an insertion near the start changes only the first chunks', () => {
  const chunker = new CdcChunker(small());
  const edited = new Uint8Array(data.length + 5);
  edited.set(data.subarray(0, 100));
  edited.set([1, 2, 3, 4, 5], 100);
  edited.set(data.subarray(100), 105);
  const before = lengths(chunker, data);
  const after = lengths(chunker, edited);
  const common = before.length - 2;
  assert.deepEqual(after.slice(-common), before.slice(-common));
  assert.ok(after.length - common <= 2);
});

test('all-zero input cuts at maxSize', () => {
  const chunker = new CdcChunker(small());
  const zeros = new Uint8Array(200 * KIB);
  assert.deepEqual(lengths(chunker, zeros), [...Array<number>(6).fill(32 * KIB), 8 * KIB]);
});

test('parameters are validated', () => {
  const { gear } = small();
  for (const bad of [
    { minSize: 2 * KIB, avgSize: 6 * KIB, maxSize: 32 * KIB },
    { minSize: 32, avgSize: 8 * KIB, maxSize: 32 * KIB },
    { minSize: 8 * KIB, avgSize: 8 * KIB, maxSize: 32 * KIB },
    { minSize: 2 * KIB, avgSize: 8 * KIB, maxSize: 8 * KIB },
  ]) assert.throws(() => new CdcChunker({ gear, ...bad }), (err) => isCairnError(err, 'bad-input'), JSON.stringify(bad));
});
