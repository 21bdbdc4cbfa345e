// The bench image as a qcow2 volume, changed through QEMU (qemu-nbd) so that its dirty bitmap records
// the change: Cairn's incremental reads only the dirty clusters (changed-block tracking), while the
// peers back up the qcow2 file as a file. The change is the image-real rewrite, block for block.
import { existsSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NbdClient } from '../src/nbd/nbd-client.ts';
import { serveImage } from '../src/plugins/volume/qemu-nbd.ts';
import { rewrittenBlocks, type ImageSet } from './dataset.ts';
import { run } from './measure.ts';
import { differs, type Subject } from './scenario.ts';

export function volumeSubject(set: ImageSet, seed: string): Subject {
  const variant = set.variants.real;
  const qcow2 = join(dirname(set.base), 'base.qcow2');
  return {
    kind: 'volume', name: 'volume-real', dataset: set, entry: 'disk.qcow2',
    fullBytes: set.logicalBytes, modifiedBytes: set.logicalBytes, changedBytes: variant.rewrite.changedBytes,
    changeNote: 'the image-real rewrite, written through QEMU so the qcow2 dirty bitmap records it',
    modifiedAllocatedBytes: variant.modifiedAllocatedBytes,
    async place(path) {
      if (!existsSync(qcow2)) {
        await run('qemu-img', ['convert', '-O', 'qcow2', set.base, `${qcow2}.partial`]);
        await rename(`${qcow2}.partial`, qcow2);
      }
      await run('cp', ['--sparse=always', qcow2, path]);
    },
    change: (path) => writeThroughQemu(path, variant.modified, rewrittenBlocks(set.logicalBytes, seed)),
    verify: (restored) => differs('qemu-img', ['compare', '-F', 'raw', restored, variant.modified]),
  };
}

/** Writes the given 64 KiB blocks of `from` into the qcow2 `volume` through qemu-nbd, as a guest would. */
async function writeThroughQemu(volume: string, from: string, blocks: number[]): Promise<void> {
  const served = await serveImage(volume, 'qcow2', { writable: true });
  try {
    const client = await NbdClient.connect({ socket: served.socket, exportName: '' });
    const source = await open(from, 'r');
    try {
      const block = Buffer.alloc(64 * 1024);
      for (const b of blocks) {
        await source.read(block, 0, block.length, b * block.length);
        await client.write(b * block.length, block);
      }
      await client.flush();
    } finally {
      await source.close();
      await client.close();
    }
  } finally {
    await served.stop(); // waits for qemu-nbd to close the image before it is backed up
  }
}
