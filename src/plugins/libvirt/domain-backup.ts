/**
 * Backs up a libvirt domain: all its disks at one point in time, with its definition.
 *
 * Running domain: one pull-mode backup job (virsh backup-begin) fixes the point in time for every disk
 * and creates a libvirt checkpoint, `cairn-<bank>-<checkpoint>`, whose dirty bitmaps record every
 * write from then on; QEMU exports each disk, as it was, over NBD, and Cairn reads the exports. An
 * incremental names the parent's checkpoint, and each qcow2 disk's export then carries the bitmap of
 * what changed since. Once a backup is in the bank, only its checkpoint is kept in libvirt: the
 * parent's and any an interrupted backup left go then, and an interrupted backup's job and scratch
 * files go at the start of the next.
 *
 * Shut-off domain: libvirt tracks nothing while a domain is off (it makes no checkpoints then), so
 * every disk is read whole, served by qemu-nbd; dedup against the parent keeps the upload small.
 */
import { chmod, chown, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import type { DiskInput, ServerInput, ServerStore } from '../../core/plugin.ts';
import { newCheckpointId } from '../../mover/image-backup.ts';
import { NbdBlockSource } from '../../nbd/nbd-block-source.ts';
import { serveImage, type ServedImage } from '../volume/qemu-nbd.ts';
import { backupExports, checkpointBitmapDisks, parseDomain, xmlEscape, type DomainDisk } from './domain-xml.ts';
import type { Virsh } from './virsh.ts';

export interface DomainBackupRequest {
  virsh: Virsh;
  domain: string;
  parentId: string | null;
  bankTag: string;
  /** Freeze the guest's file systems through its agent for the point in time. */
  quiesce: boolean;
  /** Where QEMU keeps the blocks the guest overwrites during the backup (default: the temporary directory). */
  scratchDir?: string;
}

/** Scratch directories of Cairn's backups start so: a job whose socket lives in one is Cairn's. */
const RUN_PREFIX = 'cairn-backup-';

export function checkpointName(bankTag: string, checkpointId: string): string {
  return `cairn-${bankTag}-${checkpointId}`;
}

/** What libvirt says of the domain before a backup, asked in one virsh process. */
interface DomainFacts {
  /** The persistent definition, and the running one. */
  xml: string;
  liveXml: string;
  state: string;
  /** virsh domjobinfo (an error text when the domain does not run). */
  job: string;
  checkpoints: string[];
  /** The parent's checkpoint definition, when libvirt has it. */
  parentXml: string | undefined;
}

async function domainFacts(virsh: Virsh, domain: string, parentName: string | undefined): Promise<DomainFacts> {
  const answers = await virsh.batch([
    ['dumpxml', '--inactive', domain], ['domstate', domain], ['dumpxml', domain], ['domjobinfo', domain], ['checkpoint-list', domain, '--name'],
    ...(parentName ? [['checkpoint-dumpxml', domain, parentName]] : []),
  ]);
  const must = (a: string | CairnError | undefined): string => {
    if (a instanceof CairnError) throw a;
    return a ?? '';
  };
  return {
    xml: must(answers[0]), state: must(answers[1]).trim(), liveXml: must(answers[2]),
    job: answers[3] instanceof CairnError ? answers[3].message : must(answers[3]),
    checkpoints: must(answers[4]).split('\n').map((l) => l.trim()).filter(Boolean),
    parentXml: typeof answers[5] === 'string' ? answers[5] : undefined,
  };
}

export async function backupDomain<T>(req: DomainBackupRequest, store: ServerStore<T>): Promise<T> {
  const parentName = req.parentId ? checkpointName(req.bankTag, req.parentId) : undefined;
  const facts = await domainFacts(req.virsh, req.domain, parentName);
  const def = parseDomain(facts.xml);
  const warnings: string[] = [];
  const identity = { name: def.name, uuid: def.uuid, xml: facts.xml };
  if (facts.state === 'shut off' || facts.state === 'crashed') return backupShutOff(req, identity, backedUpDisks(def.disks, warnings), warnings, store);
  if (facts.state !== 'running' && facts.state !== 'paused') throw new CairnError('bad-input', `${req.domain} is ${facts.state}: back it up while it runs or once it is shut off`);
  return backupRunning(req, identity, facts, parentName, warnings, store);
}

/** The disks a backup covers: data disks with a file or device; the others are named in a warning. */
function backedUpDisks(disks: DomainDisk[], warnings: string[]): DomainDisk[] {
  const chosen: DomainDisk[] = [];
  for (const d of disks) {
    if (d.device !== 'disk' || d.readonly) continue; // CD-ROMs, floppies and read-only media are not the server's data
    if (!d.path || (d.type !== 'file' && d.type !== 'block')) {
      warnings.push(`disk ${d.target} (a ${d.type} disk) is not backed up: only file and block disks are`);
      continue;
    }
    chosen.push(d);
  }
  if (chosen.length === 0) throw new CairnError('bad-input', 'the domain has no file or block disk to back up');
  return chosen;
}

async function backupShutOff<T>(req: DomainBackupRequest, domain: ServerInput['domain'], disks: DomainDisk[], warnings: string[], store: ServerStore<T>): Promise<T> {
  if (req.parentId) warnings.push('the domain was shut off: libvirt tracks changes only while a domain runs, so every disk was read whole (unchanged blocks were not stored again)');
  const served: ServedImage[] = [];
  const inputs: DiskInput[] = [];
  try {
    for (const d of disks) {
      const s = await serveImage(d.path!, d.format);
      served.push(s);
      inputs.push({ target: d.target, path: d.path!, format: d.format, source: await NbdBlockSource.open({ socket: s.socket, exportName: '' }, `disk ${d.target} (${d.path})`) });
    }
    return await store({ checkpointId: newCheckpointId(), domain, consistency: 'shut-off', disks: inputs, warnings });
  } finally {
    for (const i of inputs) await i.source.close().catch(() => undefined);
    for (const s of served) await s.stop();
  }
}

async function backupRunning<T>(req: DomainBackupRequest, domain: ServerInput['domain'], facts: DomainFacts, parentName: string | undefined, warnings: string[], store: ServerStore<T>): Promise<T> {
  const { virsh } = req;
  const live = parseDomain(facts.liveXml);
  const disks = backedUpDisks(live.disks, warnings);
  if (/Operation:\s*Backup/i.test(facts.job)) await endLeftoverJob(virsh, req.domain);

  const ours = facts.checkpoints.filter((n) => n.startsWith(checkpointName(req.bankTag, '')));
  // The parent's definition answers only when libvirt has its checkpoint.
  let incremental = parentName && facts.parentXml !== undefined ? parentName : undefined;
  if (parentName && !incremental) warnings.push(`libvirt has no checkpoint ${parentName} (the parent was taken while the domain was shut off, or the domain was redefined since): every disk was read whole`);
  let tracked = new Set(incremental ? checkpointBitmapDisks(facts.parentXml!) : []);

  const checkpointId = newCheckpointId();
  const next = checkpointName(req.bankTag, checkpointId);
  const withBitmap = disks.filter((d) => d.format === 'qcow2');
  const run = await runDirectory(req);
  let begun = false, result: T, exportsXml = '';
  try {
    const consistency = await frozenWhile(req, warnings, async () => {
      try {
        exportsXml = await beginBackup(virsh, req.domain, { run, disks, all: live.disks, withBitmap, next, incremental, tracked });
      } catch (err) {
        if (!incremental || !/checkpoint inconsistent|missing or broken bitmap|bitmap .* not found/i.test((err as Error).message)) throw err;
        // QEMU stopped without saving its bitmaps (killed), or someone removed one: start a new chain.
        warnings.push(`the changes since ${incremental} are no longer known (${(err as Error).message.replace(/^virsh backup-begin failed: /, '')}): every disk was read whole`);
        incremental = undefined;
        tracked = new Set();
        exportsXml = await beginBackup(virsh, req.domain, { run, disks, all: live.disks, withBitmap, next, incremental, tracked });
      }
    });
    begun = true;
    const exports = backupExports(exportsXml || await virsh.run('backup-dumpxml', req.domain));
    const socket = exports.socket ?? join(run, 'nbd.sock');
    const inputs: DiskInput[] = [];
    try {
      for (const d of disks) {
        const e = exports.disks.get(d.target);
        if (!e) throw new CairnError('source', `libvirt's backup job does not export disk ${d.target}`);
        const source = await NbdBlockSource.open({ socket, exportName: e.exportName }, `disk ${d.target} of ${req.domain}`, e.bitmap);
        inputs.push({ target: d.target, path: d.path!, format: d.format, source, ...(e.bitmap ? { dirtyExtents: await source.dirtyExtents(e.bitmap) } : {}) });
      }
      result = await store({ checkpointId, domain, consistency, disks: inputs, warnings });
    } finally {
      for (const i of inputs) await i.source.close().catch(() => undefined);
    }
  } catch (err) {
    if (begun) await virsh.run('domjobabort', req.domain).catch(() => undefined);
    // The new checkpoint goes; the parent's bitmaps recorded everything meanwhile, so the chain holds.
    if (withBitmap.length > 0) await deleteCheckpoint(virsh, req.domain, next).catch(() => undefined);
    await rm(run, { recursive: true, force: true });
    throw err;
  }
  // The checkpoint is in the bank: what follows only tidies up, and the next backup finishes it if this fails.
  // Older checkpoints of this bank (the parent's, an interrupted backup's) go only now: until the new
  // one is in the bank, any of them may still be what the next backup builds on.
  const ended = await virsh.batch([['domjobabort', req.domain], ...ours.map((name) => ['checkpoint-delete', req.domain, name])]).catch(() => []);
  for (const [i, name] of ours.entries()) {
    // Not deleted in the batch (its bitmaps are gone, or libvirtd went away): the slow way, which also drops bare metadata.
    if (ended[i + 1] === undefined || ended[i + 1] instanceof CairnError) await deleteCheckpoint(virsh, req.domain, name).catch(() => undefined);
  }
  await rm(run, { recursive: true, force: true });
  return result;
}

interface BeginPlan {
  run: string;
  disks: DomainDisk[];
  all: DomainDisk[];
  withBitmap: DomainDisk[];
  next: string;
  incremental: string | undefined;
  /** Disks with a bitmap in the incremental's checkpoint: the others are read whole. */
  tracked: Set<string>;
}

/** Starts the job; returns its description (virsh backup-dumpxml), asked in the same virsh process. */
async function beginBackup(virsh: Virsh, domain: string, plan: BeginPlan): Promise<string> {
  const chosen = new Set(plan.disks.map((d) => d.target));
  const diskXml = plan.all.map((d) => {
    if (!chosen.has(d.target)) return `<disk name='${xmlEscape(d.target)}' backup='no'/>`;
    const mode = plan.incremental && !plan.tracked.has(d.target) ? ` backupmode='full'` : '';
    return `<disk name='${xmlEscape(d.target)}' backup='yes' type='file'${mode}><scratch file='${xmlEscape(join(plan.run, `${d.target}.scratch.qcow2`))}'/></disk>`;
  }).join('');
  const backupXml = `<domainbackup mode='pull'>${plan.incremental ? `<incremental>${xmlEscape(plan.incremental)}</incremental>` : ''}` +
    `<server transport='unix' socket='${xmlEscape(join(plan.run, 'nbd.sock'))}'/><disks>${diskXml}</disks></domainbackup>`;
  const bitmaps = new Set(plan.withBitmap.map((d) => d.target));
  const checkpointXml = `<domaincheckpoint><name>${xmlEscape(plan.next)}</name><description>made by Cairn; deleted by Cairn's next backup of this bank</description><disks>` +
    plan.all.map((d) => `<disk name='${xmlEscape(d.target)}' checkpoint='${bitmaps.has(d.target) ? 'bitmap' : 'no'}'/>`).join('') + '</disks></domaincheckpoint>';
  // No qcow2 disk: nothing can hold a bitmap, so there is no checkpoint and every backup reads whole.
  const documents = plan.withBitmap.length > 0 ? [backupXml, checkpointXml] : [backupXml];
  return (await virsh.runWithXml(['backup-begin', domain], documents, [['backup-dumpxml', domain]]))[1] ?? '';
}

/**
 * A backup job an interrupted Cairn left running (its NBD socket is in a Cairn scratch directory) is
 * ended, with its scratch directory; a job of another tool is not touched, and the backup stops.
 */
async function endLeftoverJob(virsh: Virsh, domain: string): Promise<void> {
  const { socket } = backupExports(await virsh.run('backup-dumpxml', domain));
  const dir = socket ? dirname(socket) : undefined;
  if (!dir || !basename(dir).startsWith(RUN_PREFIX)) {
    throw new CairnError('locked', `${domain} is in another backup job (${socket ?? 'push mode'}), not Cairn's: wait for it to end, or end it with virsh domjobabort ${domain}`);
  }
  await virsh.run('domjobabort', domain);
  await rm(dir, { recursive: true, force: true });
}

/** Deletes a checkpoint with its bitmaps; one whose bitmaps are gone (QEMU was killed) loses only its metadata. */
export async function deleteCheckpoint(virsh: Virsh, domain: string, name: string): Promise<void> {
  try {
    await virsh.run('checkpoint-delete', domain, name);
  } catch (err) {
    try {
      await virsh.run('checkpoint-delete', domain, name, '--metadata');
    } catch (again) {
      if (/no domain checkpoint with matching name/i.test((again as Error).message)) return;
      throw err;
    }
  }
}

/**
 * A directory for the job's NBD socket and scratch files, which QEMU creates: it runs as its own user
 * (libvirt-qemu for the system connection), so the directory is given to that user when Cairn can.
 */
async function runDirectory(req: DomainBackupRequest): Promise<string> {
  const dir = await mkdtemp(join(req.scratchDir ?? tmpdir(), RUN_PREFIX));
  const owner = await qemuOwner(req.domain);
  if (owner && process.getuid?.() === 0) await chown(dir, owner.uid, owner.gid);
  else if (owner && owner.uid !== process.getuid?.()) await chmod(dir, 0o777);
  return dir;
}

async function qemuOwner(domain: string): Promise<{ uid: number; gid: number } | undefined> {
  const pid = Number(await readFile(`/run/libvirt/qemu/${domain}.pid`, 'utf8').catch(() => ''));
  if (!(pid > 0)) return undefined; // a session connection: QEMU runs as this user
  const st = await stat(`/proc/${pid}`).catch(() => undefined);
  return st ? { uid: st.uid, gid: st.gid } : undefined;
}

/** Runs `begin` with the guest's file systems frozen when asked and possible; returns the consistency reached. */
async function frozenWhile(req: DomainBackupRequest, warnings: string[], begin: () => Promise<void>): Promise<'quiesced' | 'crash-consistent'> {
  let frozen = false;
  if (req.quiesce) {
    try {
      await req.virsh.run('domfsfreeze', req.domain);
      frozen = true;
    } catch (err) {
      warnings.push(`the guest's file systems could not be frozen (${(err as Error).message.replace(/^virsh domfsfreeze failed: /, '')}): the checkpoint is crash-consistent`);
    }
  }
  try {
    await begin();
  } finally {
    if (frozen) await req.virsh.run('domfsthaw', req.domain).catch(() => undefined);
  }
  return frozen ? 'quiesced' : 'crash-consistent';
}
