// The change applied to the file tree between the full and the incremental backup: 1% of the
// files touched or partly rewritten, a few added, a few deleted. It is a plan (data), applied in
// place to each tool's copy, so that every tool sees the same change and the change happens the
// way it does on a live system: same inodes, new mtimes, no wholesale copy (which would make
// restic and borg re-read every file because ctime and inode change).
import { lstat, open, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { seededBytes, seededPermutation, seededRandom } from './seeded.ts';

export type TreeChange =
  | { op: 'touch'; path: string }
  | { op: 'write'; path: string; offset: number; length: number; seed: string }
  | { op: 'add'; path: string; length: number; seed: string }
  | { op: 'delete'; path: string; length: number };

export interface TreePlan {
  changes: TreeChange[];
  /** Bytes whose content changed: rewritten ranges plus added files (the least a tool must store). */
  changedBytes: number;
  deletedBytes: number;
}

const addedFiles = 10;
const deletedFiles = 10;

export async function planTreeChanges(root: string, seed: string, fraction = 0.01): Promise<TreePlan> {
  const files = await listFiles(root);
  const order = seededPermutation(`${seed}:files`, files.length);
  const modified = Math.max(1, Math.ceil(files.length * fraction));
  const random = seededRandom(`${seed}:sizes`);
  const changes: TreeChange[] = [];
  for (const [n, index] of order.slice(0, modified).entries()) {
    const file = files[index];
    if (file === undefined) continue;
    // Half are only touched (new mtime, same bytes), half get a 4 KiB range rewritten in place.
    const offset = Math.floor(file.size / 3);
    const length = Math.min(4096, file.size - offset);
    if (n % 2 === 0 || length === 0) changes.push({ op: 'touch', path: file.path });
    else changes.push({ op: 'write', path: file.path, offset, length, seed: `${seed}:write:${n}` });
  }
  for (const index of order.slice(modified, modified + deletedFiles)) {
    const file = files[index];
    if (file !== undefined) changes.push({ op: 'delete', path: file.path, length: file.size });
  }
  for (let n = 0; n < addedFiles; n++) {
    const near = files[Math.floor(random() * files.length)]?.path ?? 'x';
    const length = 1024 + Math.floor(random() * (1 << 20));
    changes.push({ op: 'add', path: join(dirname(near), `cairn-bench-added-${n}.bin`), length, seed: `${seed}:add:${n}` });
  }
  let changedBytes = 0;
  let deletedBytes = 0;
  for (const change of changes) {
    if (change.op === 'write' || change.op === 'add') changedBytes += change.length;
    if (change.op === 'delete') deletedBytes += change.length;
  }
  return { changes, changedBytes, deletedBytes };
}

export async function applyTreeChanges(root: string, plan: TreePlan): Promise<void> {
  const now = new Date();
  for (const change of plan.changes) {
    const path = join(root, change.path);
    if (change.op === 'touch') await utimes(path, now, now);
    else if (change.op === 'delete') await rm(path);
    else if (change.op === 'add') await writeFile(path, seededBytes(change.seed, change.length));
    else {
      const handle = await open(path, 'r+');
      try {
        await handle.write(seededBytes(change.seed, change.length), 0, change.length, change.offset);
      } finally {
        await handle.close();
      }
    }
  }
}

export async function listFiles(root: string): Promise<{ path: string; size: number }[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: { path: string; size: number }[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.push({ path: relative(root, full), size: (await lstat(full)).size });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
