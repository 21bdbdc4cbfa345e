/**
 * Where a checkpoint can be restored, by its type, as POST /v1/restores takes it (`target.mode`): a
 * new volume, directory or server beside the original; in place, over the original; and for a server
 * also "recreate", the original domain again after it was undefined; and "site", a new one on a host
 * at another site (the API's mode "new" with that host's `hostId`), read from that site's copy of the
 * bank when it has one.
 */
export type TargetMode = 'new' | 'site' | 'in-place' | 'recreate';

export interface TargetChoice {
  mode: TargetMode;
  label: string;
  hint: string;
}

const NEW: Record<string, string> = { server: 'A new server', files: 'A new directory', volume: 'A new volume' };

/** `elsewhere`: some host at a site other than the original's may take the restore. */
export function targetsFor(checkpointType: string, elsewhere = false): TargetChoice[] {
  const kind = checkpointType === 'server' || checkpointType === 'files' ? checkpointType : 'volume';
  const targets: TargetChoice[] = [
    { mode: 'new', label: NEW[kind]!, hint: 'beside the original, which stays as it is' },
    { mode: 'in-place', label: 'In place', hint: kind === 'files' ? 'the checkpoint\'s files replace those in the original directory' : 'over the original, which must not be in use' },
  ];
  if (elsewhere) targets.splice(1, 0, { mode: 'site', label: 'At another site', hint: `${NEW[kind]!.toLowerCase()} on a host at another site, read from that site's copy of the bank when it has one` });
  if (kind === 'server') targets.push({ mode: 'recreate', label: 'Recreate', hint: 'the original server again, after it was undefined' });
  return targets;
}

/** The resource type whose plugin schema describes this checkpoint's restore target (as the API maps it). */
export function pluginTypeOf(checkpointType: string): string {
  return checkpointType === 'server' ? 'server' : checkpointType === 'files' ? 'fileset' : 'volume';
}

/** What the API itself puts in the plugin's target from `target`: not for the user to set in the options. */
export const DECIDED_BY_TARGET = ['path', 'inPlace', 'mode', 'name'] as const;

/** A name the new resource could take: the original's, marked as restored, keeping a volume's extension. */
export function suggestedName(original: string | undefined): string {
  if (!original) return '';
  const dot = original.lastIndexOf('.');
  return dot > 0 ? `${original.slice(0, dot)}-restored${original.slice(dot)}` : `${original}-restored`;
}

/** GET /v1/checkpoints/{id}/restore-hosts: a host a checkpoint may be restored to, and the bank it would read. */
export interface RestoreHost {
  id: string;
  name: string;
  siteId: string;
  siteName: string;
  original: boolean;
  bank: { id: string; name: string; siteName: string };
}

/** The hosts a target offers: at the original's site for a new one (all, when the original is gone), at the other sites for "site". */
export function hostsFor(mode: TargetMode, hosts: RestoreHost[]): RestoreHost[] {
  const home = hosts.find((h) => h.original)?.siteId;
  if (mode === 'new') return home === undefined ? hosts : hosts.filter((h) => h.siteId === home);
  if (mode === 'site') return home === undefined ? [] : hosts.filter((h) => h.siteId !== home);
  return [];
}
