// Copies real system files into a staging directory until a byte budget is spent. Real files
// (binaries, libraries, text, already-compressed archives) dedupe and compress the way user data
// does, which synthetic data does not. Sources are walked in sorted order, so the same budget
// stages the same files on the same machine.
import type { Dirent } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readlink, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';

export interface CopyStats {
  files: number;
  bytes: number;
}

/**
 * Copies each source to `dest/<source path>`. Each source may use an even share of what is left
 * of the budget, so a small source passes its unused share on to the next ones.
 */
export async function copyCapped(sources: string[], dest: string, budget: number): Promise<CopyStats> {
  const total: CopyStats = { files: 0, bytes: 0 };
  for (const [i, source] of sources.entries()) {
    const cap = (budget - total.bytes) / (sources.length - i);
    const stats: CopyStats = { files: 0, bytes: 0 };
    await copyDir(source, join(dest, source), cap, stats);
    total.files += stats.files;
    total.bytes += stats.bytes;
  }
  return total;
}

/** Returns false once the cap is reached, to stop the walk. */
async function copyDir(from: string, to: string, cap: number, stats: CopyStats): Promise<boolean> {
  let entries: Dirent[];
  try {
    entries = await readdir(from, { withFileTypes: true });
  } catch {
    return true; // unreadable or vanished: real systems have those, skip it
  }
  await mkdir(to, { recursive: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      if (!(await copyDir(source, target, cap, stats))) return false;
    } else if (entry.isSymbolicLink()) {
      await symlink(await readlink(source), target);
    } else if (entry.isFile()) {
      const info = await lstat(source);
      if (stats.bytes + info.size > cap) return false;
      try {
        await copyFile(source, target);
        await utimes(target, info.atime, info.mtime);
      } catch {
        continue; // unreadable or vanished
      }
      stats.files++;
      stats.bytes += info.size;
    }
    // Sockets, FIFOs and devices are skipped: mkfs.ext4 -d and the tools treat them specially.
  }
  return true;
}
