/**
 * The port through which workers protect and restore resources: the plugins and the mover behind
 * one interface, so the control plane never touches keys, chunks or storage (the composition root
 * wires in the implementation).
 */
import type { ProgressListener } from './progress.ts';
import type { HostKind, ResourceType } from './plugin.ts';

/** A bank as the catalog knows it, with its passphrase opened for this use only. */
export interface BankAccess { id: string; location: string; passphrase: string }

/** A resource as the catalog knows it: which plugin, where, and its id there. */
export interface ResourceRef { type: ResourceType; externalId: string; hostKind: HostKind; hostLocation: string }

/** What the catalog mirrors of a checkpoint's manifest. */
export interface CheckpointFacts {
  ref: string;
  name: string;
  type: string;
  parentRef: string | null;
  createdAt: string;
  sourceBytes: number;
  writtenBytes: number;
  storedBytes: number;
  tags: string[];
  warnings: string[];
}

export interface BackupRequest {
  /** The name the checkpoint has in the bank (the same for every checkpoint of the resource). */
  name: string;
  /** The checkpoint to be incremental to; null for a full backup. */
  parentRef: string | null;
  /** Recorded in the manifest: how the catalog finds the checkpoint again (cairn:operation=…). */
  tags: string[];
  options: Record<string, unknown>;
  onProgress?: ProgressListener;
}

export interface RestoreOutcome { restoredBytes: number; writtenBytes: number; paths: string[]; domain?: string }

export interface Protection {
  backup(bank: BankAccess, resource: ResourceRef, req: BackupRequest): Promise<CheckpointFacts>;
  /** Every checkpoint of the bank, oldest first (reconciliation, and finding one an interrupted attempt committed). */
  checkpoints(bank: BankAccess): Promise<CheckpointFacts[]>;
  /**
   * Restores on the host `at` (a server's libvirt; a volume's directory); `target` is the plugin's
   * restore target, validated against its restoreTargetSchema.
   */
  restore(bank: BankAccess, ref: string, at: Pick<ResourceRef, 'hostKind' | 'hostLocation'>, target: Record<string, unknown>, onProgress?: ProgressListener): Promise<RestoreOutcome>;
  /** Deletes a checkpoint from its bank and what its plugin keeps on the resource for it (a dirty bitmap); gone already is fine. */
  forget(bank: BankAccess, ref: string, resource: ResourceRef | null): Promise<void>;
  verify(bank: BankAccess, refs: string[], onProgress?: ProgressListener): Promise<{ ref: string; damaged: boolean; problems: string[] }[]>;
  /** Deletes the bank's data no checkpoint needs (safe while backups run); says what it freed. */
  gc(bank: BankAccess, onProgress?: ProgressListener): Promise<{ deletedPacks: number; deletedBytes: number; deferredPacks: number }>;
}
