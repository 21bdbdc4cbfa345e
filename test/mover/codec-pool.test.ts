// The codec pool starts its workers before the bank is unlocked: work sent early waits for the keys
// and then uses them, and a pool whose bank never unlocked (wrong passphrase) still closes cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { chunkId } from '../../src/bank/chunk-codec.ts';
import { generateKeys } from '../../src/bank/keys.ts';
import { CodecPool } from '../../src/mover/codec-pool.ts';

test('tasks sent before unlock run once the keys arrive, with those keys', async (t) => {
  const pool = new CodecPool(undefined, 2);
  t.after(() => pool.close());
  const chunks = [randomBytes(4096), randomBytes(1000)];
  const data = new Uint8Array(5096);
  data.set(chunks[0]!, 0);
  data.set(chunks[1]!, 4096);
  let settled = false;
  const result = pool.hash({ data: data.buffer, bounds: [0, 4096, 5096] }).finally(() => { settled = true; });
  await sleep(300); // long enough for the workers to have loaded
  assert.equal(settled, false, 'nothing can be hashed before the keys are there');
  const keys = generateKeys();
  pool.unlock(keys);
  const { ids } = await result;
  assert.deepEqual(Buffer.from(ids), Buffer.concat(chunks.map((c) => chunkId(keys.idKey, c))));
  assert.throws(() => pool.unlock(generateKeys()), /already unlocked/);
});

test('a pool that was never unlocked closes without hanging or crashing', async () => {
  const pool = new CodecPool(undefined, 2);
  await sleep(50); // workers mid-load or waiting for keys
  await pool.close();
  const late = new CodecPool(undefined, 1);
  await sleep(500); // workers loaded and waiting for keys
  await late.close();
});
