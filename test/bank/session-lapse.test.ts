// A backup whose session record could not be refreshed for too long may have been declared dead by a
// GC on another host, which may have deleted its packs: it must never commit, even once it can write
// its record again. One whose record stayed fresh commits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Bank } from '../../src/bank/bank.ts';
import { BackupSession } from '../../src/bank/backup-session.ts';
import { isCairnError } from '../../src/core/errors.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { DelegatingBackend } from '../testkit/delegating-backend.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const BLOCK = 64 * 1024;
const TIMING = { indexPartEntries: 8, heartbeatMs: 50, aliveMs: 2000 };

/**
 * Fault injection: while `cut`, writes of session records fail, as on a host cut off from the bank;
 * with `hold`, the next one hangs until `release()` (a slow link, retries) and then lands.
 */
class CutBackend extends DelegatingBackend {
  cut = false;
  hold = false;
  release: () => void = () => undefined;
  override put(key: string, data: Uint8Array): Promise<void> {
    if (!key.startsWith('sessions/')) return this.inner.put(key, data);
    if (this.cut) return Promise.reject(new Error('network unreachable'));
    if (this.hold) {
      this.hold = false;
      return new Promise((resolve, reject) => { this.release = () => { this.inner.put(key, data).then(resolve, reject); }; });
    }
    return this.inner.put(key, data);
  }
}

/** Stores blocks, lets the heartbeats lapse (or not), then stores more and commits: `finish` settles with that. */
async function run(t: Parameters<typeof tempDir>[0], lapse: boolean): Promise<{ bank: Bank; finish: Promise<unknown> }> {
  const storage = new CutBackend(new LocalBackend(join(await tempDir(t), 'bank')));
  const bank = await Bank.init(storage, [{ passphrase: 'x' }], { scrypt: { N: 1024, r: 8, p: 1 }, chunking: { packSize: 4 * BLOCK } });
  const session = await BackupSession.start(bank, TIMING);
  const store = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const block = randomBytes(BLOCK), id = bank.chunkId(block);
      await session.storeFrame('data', bank.sealMeta(id, block), [{ id, rawLength: BLOCK }]);
    }
  };
  await store(20);
  storage.cut = lapse;
  await sleep(TIMING.aliveMs * 1.5);
  storage.cut = false;
  await sleep(TIMING.heartbeatMs * 6); // the heartbeats get through again
  const finish = (async () => {
    // Either publishing the next index part or the commit finds out.
    await store(20);
    await session.commit({ name: 'x', type: 'image', parent: null, tags: [], sourceBytes: 0, readBytes: 0, storedBytes: 0, index: { kind: 'fixed', size: 0, blockSize: BLOCK, pageEntries: 1024, pages: [] } });
  })();
  return { bank, finish };
}

test('a backup whose heartbeats lapsed refuses to commit after they resume, and leaves no checkpoint', async (t) => {
  const { bank, finish } = await run(t, true);
  await assert.rejects(finish, (err) => isCairnError(err, 'storage') && /could not refresh its session record in time/.test(err.message));
  assert.equal((await bank.listCheckpoints()).length, 0);
});

test('a backup whose heartbeats kept landing commits after the same wait', async (t) => {
  const { bank, finish } = await run(t, false);
  await finish;
  assert.equal((await bank.listCheckpoints()).length, 1);
});

test('a heartbeat that hangs holds the next ones back: the session lapses instead of trusting a newer one', async (t) => {
  // Were newer beats to land while an old one hangs, the old one landing last would set the record
  // back in time while the session believed itself fresh, and a GC would take it for dead.
  const storage = new CutBackend(new LocalBackend(join(await tempDir(t), 'bank')));
  const bank = await Bank.init(storage, [{ passphrase: 'x' }], { scrypt: { N: 1024, r: 8, p: 1 }, chunking: { packSize: 4 * BLOCK } });
  const session = await BackupSession.start(bank, TIMING);
  const block = randomBytes(BLOCK), id = bank.chunkId(block);
  await session.storeFrame('data', bank.sealMeta(id, block), [{ id, rawLength: BLOCK }]);
  storage.hold = true;
  await sleep(TIMING.aliveMs * 0.75);
  storage.cut = true;
  storage.release(); // the held beat lands last
  await sleep(TIMING.aliveMs * 0.95);
  await assert.rejects(
    session.commit({ name: 'x', type: 'image', parent: null, tags: [], sourceBytes: 0, readBytes: 0, storedBytes: 0, index: { kind: 'fixed', size: 0, blockSize: BLOCK, pageEntries: 1024, pages: [] } }),
    (err) => isCairnError(err, 'storage') && /could not refresh its session record in time/.test(err.message),
  );
  assert.equal((await bank.listCheckpoints()).length, 0);
});
