// GC against writers at the worst moments, made exact with a storage decorator that pauses GC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Bank } from '../../src/bank/bank.ts';
import { collectGarbage } from '../../src/bank/gc.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { CodecPool } from '../../src/mover/codec-pool.ts';
import { backupStream } from '../../src/mover/stream-backup.ts';
import { restoreStream } from '../../src/mover/stream-restore.ts';
import { verifyCheckpoints } from '../../src/mover/verify.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { GateBackend } from '../testkit/gate-backend.ts';
import { Readable, Writable } from 'node:stream';

const secret = { passphrase: 'x' };
const cheap = { scrypt: { N: 1024, r: 8, p: 1 } };

test('a backup that commits while GC is marking keeps all its data', async (t) => {
  const dir = join(await tempDir(t), 'bank');
  await Bank.init(new LocalBackend(dir), [secret], cheap);
  const gate = new GateBackend(new LocalBackend(dir), 'index/');
  const gcRun = collectGarbage(await Bank.open(gate, secret));
  await gate.reached; // GC has listed sessions and checkpoints, and waits to read the index
  const bank = await Bank.open(new LocalBackend(dir), secret);
  const pool = new CodecPool(bank.keys, 2);
  t.after(() => pool.close());
  const data = randomBytes(3 << 20);
  const m = await backupStream(bank, pool, { source: Readable.from([data]), name: 's', parent: null });
  gate.release();
  const report = await gcRun;
  assert.equal(report.deletedPacks, 0, 'GC deleted the packs of a checkpoint committed during its mark');
  const v = await verifyCheckpoints(bank, pool, [await bank.readManifest(m.id)]);
  assert.deepEqual(v.checkpoints.map((c) => c.damaged), [false]);
  const chunks: Buffer[] = [];
  await restoreStream(bank, pool, m, new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }));
  assert.ok(Buffer.concat(chunks).equals(data));
  // The next GC, with nothing running, leaves it alone as well.
  assert.equal((await collectGarbage(bank)).deletedPacks, 0);
  assert.deepEqual((await verifyCheckpoints(bank, pool, [m])).checkpoints.map((c) => c.damaged), [false]);
});

test('a second GC started while one runs refuses instead of racing it', async (t) => {
  const dir = join(await tempDir(t), 'bank');
  await Bank.init(new LocalBackend(dir), [secret], cheap);
  const gate = new GateBackend(new LocalBackend(dir), 'index/');
  const first = collectGarbage(await Bank.open(gate, secret));
  await gate.reached;
  await assert.rejects(collectGarbage(await Bank.open(new LocalBackend(dir), secret)), (err: Error) => /another gc/.test(err.message));
  gate.release();
  await first;
  await collectGarbage(await Bank.open(new LocalBackend(dir), secret)); // the lock was released
});
