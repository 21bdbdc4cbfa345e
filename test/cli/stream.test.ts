// Streams through the CLI: what goes into stdin comes back byte for byte, on stdout or in a file,
// and a stream that changed a little costs little (content-defined chunks dedup across a shift).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';

const MiB = 1 << 20;

interface BackupJson { id: string; parent: string | null; sourceBytes: number; readBytes: number; writtenBytes: number; durationMs: number }

async function bankIn(t: TestContext): Promise<{ dir: string; bank: string }> {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank');
  await cairnOk(['bank', 'init', bank]);
  return { dir, bank };
}

async function backupStream(bank: string, data: Buffer, ...extra: string[]): Promise<BackupJson> {
  return (await cairnOk(['backup', 'stream', '--bank', bank, '--name', 'dump', '--json', ...extra], { input: data })).json<BackupJson>();
}

/** Random data and long zero runs, alternating, `size` bytes in all. */
function mixed(size: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  for (let i = 0; total < size; i++) {
    const length = Math.min(size - total, i % 2 === 0 ? MiB + 12_345 * i : 3 * MiB - 777 * i);
    parts.push(i % 2 === 0 ? randomBytes(length) : Buffer.alloc(length));
    total += length;
  }
  return Buffer.concat(parts);
}

/** Asserts equality of large buffers without printing megabytes on failure. */
function assertSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  if (actual.equals(expected)) return;
  assert.fail(`${what}: first difference at byte ${actual.findIndex((byte, i) => byte !== expected[i])}`);
}

test('a stream comes back identical on stdout and in a file', async (t) => {
  const { dir, bank } = await bankIn(t);
  const data = mixed(20 * MiB);
  const b = await backupStream(bank, data);
  assert.equal(b.sourceBytes, data.length);
  assert.equal(b.readBytes, data.length);

  const out = await cairnOk(['restore', b.id, '--bank', bank, '--to', '-']);
  assertSameBytes(out.stdoutBytes, data, 'restore --to -');
  assert.equal(out.stderr, '', 'restore --to - wrote to stderr without --json');

  const file = join(dir, 'dump.out');
  const r = await cairnOk(['restore', b.id.slice(0, 8), '--bank', bank, '--to', file, '--json']);
  assert.equal(r.json().restoredBytes, data.length);
  assertSameBytes(await readFile(file), data, 'restore --to <file>');
  assert.deepEqual((await readdir(dir)).sort(), ['bank', 'dump.out'], 'restore left temporary files');
});

test('an empty stream round-trips to empty output', async (t) => {
  const { dir, bank } = await bankIn(t);
  const b = await backupStream(bank, Buffer.alloc(0));
  assert.equal(b.sourceBytes, 0);
  const out = await cairnOk(['restore', b.id, '--bank', bank, '--to', '-']);
  assert.equal(out.stdoutBytes.length, 0);
  const file = join(dir, 'empty.out');
  await cairnOk(['restore', b.id, '--bank', bank, '--to', file]);
  assert.equal((await readFile(file)).length, 0);
  const list = (await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<Array<Record<string, unknown>>>();
  assert.deepEqual(list.map((c) => [c.id, c.type, c.sourceBytes]), [[b.id, 'stream', 0]]);
});

test('a few bytes inserted near the start cost about one chunk; both versions restore exactly', async (t) => {
  const { bank } = await bankIn(t);
  const first = randomBytes(24 * MiB);
  const second = Buffer.concat([first.subarray(0, 1000), Buffer.from('a few new bytes'), first.subarray(1000)]);
  const full = await backupStream(bank, first);
  assert.ok(full.writtenBytes > first.length, `random data cannot shrink, yet only ${full.writtenBytes} bytes were written`);

  const incr = await backupStream(bank, second);
  assert.equal(incr.parent, full.id, 'the default parent is the newest checkpoint of the name');
  assert.equal(incr.sourceBytes, second.length);
  // The chunker's largest chunk is 4 MiB: one rewritten chunk plus metadata stays well below a quarter.
  assert.ok(incr.writtenBytes < second.length / 4, `an insert of 15 bytes wrote ${incr.writtenBytes} of ${second.length} bytes`);

  assertSameBytes((await cairnOk(['restore', full.id, '--bank', bank, '--to', '-'])).stdoutBytes, first, 'first version');
  assertSameBytes((await cairnOk(['restore', incr.id, '--bank', bank, '--to', '-'])).stdoutBytes, second, 'second version');
});

test('restoring into a missing directory fails with a clear message and leaves nothing behind', async (t) => {
  const { dir, bank } = await bankIn(t);
  const b = await backupStream(bank, randomBytes(100_000));
  const target = join(dir, 'missing', 'dump.out');
  const r = await cairn(['restore', b.id, '--bank', bank, '--to', target]);
  assert.equal(r.code, 2, `exit ${r.code}, stderr: ${r.stderr}`);
  assert.match(r.stderr, /^cairn: .*missing/);
  assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line of error:\n${r.stderr}`);
  assert.deepEqual((await readdir(dir)).sort(), ['bank']);
});
