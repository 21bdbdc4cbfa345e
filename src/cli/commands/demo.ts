/**
 * cairn demo: what Cairn does, in one command and a few seconds. Builds a small ext4 disk image from
 * files of this machine, backs it up into a local bank, changes a few percent of it, backs it up
 * again (incremental), restores the latest checkpoint and compares it byte for byte with the source.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import { Bank } from '../../bank/bank.ts';
import { CodecPool } from '../../mover/codec-pool.ts';
import { backupImage } from '../../mover/image-backup.ts';
import { restoreImage } from '../../mover/image-restore.ts';
import { openStorage, type CliEnvironment } from '../context.ts';
import { formatBytes, printJson, table } from '../output.ts';

const IMAGE_SIZE = 512 << 20;

export async function demoCommand(env: CliEnvironment, opts: { dir: string; json?: boolean }): Promise<void> {
  const dir = resolve(opts.dir);
  const image = join(dir, 'disk.img'), bankDir = join(dir, 'bank'), restored = join(dir, 'restored.img');
  await rm(bankDir, { recursive: true, force: true });
  await rm(restored, { force: true });
  await mkdir(dir, { recursive: true });
  const say = (line: string): void => { if (!opts.json) env.stdout.write(line + '\n'); };

  say(`1. building a ${formatBytes(IMAGE_SIZE)} ext4 disk image from /usr/share/doc and /usr/share/common-licenses …`);
  await makeImage(image);
  const passphrase = env.passphrase ?? 'cairn-demo';
  const storage = await openStorage(env, { bank: bankDir });
  const bank = await Bank.init(storage, [{ passphrase }]);
  const pool = new CodecPool(bank.keys);
  try {
    say(`2. created bank ${bank.descriptor.bankId} in ${bankDir} (passphrase: ${env.passphrase === undefined ? "'cairn-demo'" : 'from CAIRN_PASSPHRASE'})`);
    const full = await backupImage(bank, pool, { path: image, name: 'demo-disk', parent: null });
    say(`3. full backup ${full.id}: read ${formatBytes(full.readBytes)} of ${formatBytes(full.sourceBytes)} (holes skipped), wrote ${formatBytes(full.writtenBytes)}`);
    const changed = await scatterWrites(image, 0.02);
    const incr = await backupImage(bank, pool, { path: image, name: 'demo-disk', parent: full });
    say(`4. changed ${formatBytes(changed)} in 64 KiB pieces; incremental ${incr.id} wrote ${formatBytes(incr.writtenBytes)}`);
    await restoreImage(bank, pool, incr, restored);
    const same = (await digest(image)) === (await digest(restored));
    say(`5. restored ${incr.id} to ${restored}: ${same ? 'identical to the source, byte for byte' : 'DIFFERENT from the source'}`);
    const rows = [['checkpoint', 'kind', 'source', 'read', 'written'],
      ...[full, incr].map((m) => [m.id, m.parent ? 'incremental' : 'full', formatBytes(m.sourceBytes), formatBytes(m.readBytes), formatBytes(m.writtenBytes)])];
    if (opts.json) printJson(env, { bank: bankDir, image, restored, identical: same, changedBytes: changed, checkpoints: [full, incr].map((m) => ({ id: m.id, parent: m.parent, sourceBytes: m.sourceBytes, readBytes: m.readBytes, writtenBytes: m.writtenBytes })) });
    else env.stdout.write('\n' + table(rows) + `\nTry: CAIRN_PASSPHRASE=${passphrase} npx cairn checkpoints --bank ${bankDir}\n`);
    if (!same) throw new CairnError('corrupt', 'the restored image differs from the source');
  } finally {
    await pool.close();
    await storage.close();
  }
}

async function makeImage(path: string): Promise<void> {
  await rm(path, { force: true });
  const staging = `${path}.d`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  for (const src of ['/usr/share/doc', '/usr/share/common-licenses']) {
    if (await stat(src).then(() => true, () => false)) spawnSync('cp', ['-a', src, staging]);
  }
  spawnSync('truncate', ['-s', String(IMAGE_SIZE), path]);
  const r = spawnSync('mkfs.ext4', ['-q', '-F', '-d', staging, path], { encoding: 'utf8' });
  await rm(staging, { recursive: true, force: true });
  if (r.status !== 0) throw new CairnError('unsupported', `mkfs.ext4 failed (${r.error?.message ?? r.stderr.trim()}); install e2fsprogs`);
}

/** Overwrites `fraction` of the image with random data in 64 KiB pieces at random aligned offsets. */
async function scatterWrites(path: string, fraction: number): Promise<number> {
  const fh = await open(path, 'r+');
  try {
    const size = (await fh.stat()).size, piece = 64 << 10;
    const count = Math.floor((size * fraction) / piece);
    for (let i = 0; i < count; i++) {
      const at = Math.floor(Math.random() * (size / piece)) * piece;
      await fh.write(randomBytes(piece), 0, piece, at);
    }
    return count * piece;
  } finally {
    await fh.close();
  }
}

async function digest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const b of createReadStream(path)) h.update(b as Buffer);
  return h.digest('hex');
}
