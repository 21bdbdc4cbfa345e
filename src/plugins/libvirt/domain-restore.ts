/**
 * Restores a server checkpoint, in one of three ways:
 *   in place  — into the domain that exists, shut off: each disk gets only the blocks that differ;
 *   as new    — a new domain (new name, disk files, UUID, MAC addresses) beside the original;
 *   recreate  — the original, after it was undefined and its disks deleted: its saved definition
 *               (same name, UUID and MACs) with its disks at their old paths.
 * New disks are written under temporary names and renamed once complete, and the domain is defined
 * only when every disk is; a failure removes the disks it made and defines nothing.
 */
import { rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import type { ImageWrite, Restored, RestoreRequest } from '../../core/plugin.ts';
import { restoreVolume } from '../volume/volume-restore.ts';
import { parseDomain, rewriteDomain } from './domain-xml.ts';
import type { Virsh } from './virsh.ts';

export type ServerCheckpoint = NonNullable<RestoreRequest['server']>;

export interface DomainRestoreRequest {
  virsh: Virsh;
  checkpointId: string;
  bankTag: string;
  server: ServerCheckpoint;
  mode: 'in-place' | 'new' | 'recreate';
  /** The new domain's name (mode 'new'). */
  newName?: string;
  /** Where a new domain's disks go (default: beside the original disks). */
  dir?: string;
}

export async function restoreDomain<T>(req: DomainRestoreRequest, write: ImageWrite<T>): Promise<Restored<T>> {
  if (req.mode === 'in-place') return restoreInPlace(req, write);
  return restoreAsDefinition(req, write);
}

async function restoreInPlace<T>(req: DomainRestoreRequest, write: ImageWrite<T>): Promise<Restored<T>> {
  const { virsh, server } = req;
  const name = server.domain.name;
  if (!(await virsh.exists(name))) throw new CairnError('not-found', `there is no domain ${name} to restore into: leave out --in-place to recreate it from the checkpoint, or restore --as <new-name>`);
  const state = await virsh.state(name);
  if (state !== 'shut off') throw new CairnError('locked', `${name} is ${state}: shut it off first (virsh shutdown ${name}); an in-place restore rewrites its disks`);
  const current = new Map(parseDomain(await virsh.run('dumpxml', '--inactive', name)).disks.map((d) => [d.target, d]));
  const targets = server.disks.map((d) => {
    const now = current.get(d.target);
    if (!now?.path) throw new CairnError('bad-input', `${name} has no disk ${d.target} with a file or device any more: restore --as <new-name> instead`);
    return { disk: d, path: now.path };
  });
  const images: Restored<T>['images'] = [];
  for (const { disk, path } of targets) {
    const result = await restoreVolume({ path, size: disk.size, inPlace: true, checkpointId: req.checkpointId, bankTag: req.bankTag },
      (sink, inPlace, changed) => write(sink, inPlace, changed, disk.target));
    images.push({ disk: disk.target, path, result });
  }
  return { images, domain: name };
}

async function restoreAsDefinition<T>(req: DomainRestoreRequest, write: ImageWrite<T>): Promise<Restored<T>> {
  const { virsh, server } = req;
  const name = req.mode === 'new' ? req.newName! : server.domain.name;
  if (req.mode === 'new' && !/^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/.test(name)) {
    throw new CairnError('bad-input', `--as ${name}: a domain name is 1–100 letters, digits, '.', '_', '+' or '-', starting with a letter or digit`);
  }
  if (await virsh.exists(name)) {
    throw new CairnError('bad-input', req.mode === 'new'
      ? `a domain named ${name} exists already: choose another name for --as`
      : `${name} exists: restore --in-place (shut it off first) to rewrite its disks, or --as <new-name> for a copy beside it`);
  }
  if (req.mode === 'recreate' && await virsh.exists(server.domain.uuid)) {
    throw new CairnError('bad-input', `a domain with ${name}'s UUID ${server.domain.uuid} exists under another name: restore --as <new-name>`);
  }
  const plan = server.disks.map((d) => {
    const format: 'qcow2' | 'raw' = d.format === 'raw' ? 'raw' : 'qcow2';
    const path = req.mode === 'new' ? join(req.dir ?? dirname(d.source), `${name}-${d.target}.${format === 'raw' ? 'img' : 'qcow2'}`) : d.source;
    return { disk: d, path, format };
  });
  for (const { path } of plan) {
    if (await stat(path).catch(() => undefined)) {
      throw new CairnError('bad-input', req.mode === 'new'
        ? `${path} exists already: choose another --to directory or name`
        : `${path} exists: the restore does not overwrite it; move it away, restore --in-place into the domain that uses it, or restore --as <new-name>`);
    }
    if (!(await stat(dirname(path)).catch(() => undefined))?.isDirectory()) throw new CairnError('bad-input', `cannot write ${path}: the directory ${dirname(path)} does not exist`);
  }
  const images: Restored<T>['images'] = [];
  try {
    for (const { disk, path, format } of plan) {
      const result = await restoreVolume({ path, size: disk.size, inPlace: false, format, checkpointId: req.checkpointId, bankTag: req.bankTag },
        (sink, inPlace, changed) => write(sink, inPlace, changed, disk.target));
      images.push({ disk: disk.target, path, result });
    }
    const moved = new Map(plan.map((p) => [p.disk.target, { path: p.path, format: p.format }]));
    const xml = rewriteDomain(server.domain.xml, { ...(req.mode === 'new' ? { newName: name } : {}), disks: moved });
    await virsh.runWithXml(['define'], [xml]);
  } catch (err) {
    for (const { path } of images) await rm(path, { force: true });
    throw err;
  }
  return { images, domain: name };
}
