/**
 * Where a checkpoint can be restored, by its type, as POST /v1/restores takes it (`target.mode`): a
 * new volume, directory or server beside the original; in place, over the original; and for a server
 * also "recreate", the original domain again after it was undefined. The API has no "another site"
 * target: a restore runs on the resource's own host (or another host of the tenant, by `hostId`).
 */
export type TargetMode = 'new' | 'in-place' | 'recreate';

export interface TargetChoice {
  mode: TargetMode;
  label: string;
  hint: string;
}

const NEW: Record<string, string> = { server: 'A new server', files: 'A new directory', volume: 'A new volume' };

export function targetsFor(checkpointType: string): TargetChoice[] {
  const kind = checkpointType === 'server' || checkpointType === 'files' ? checkpointType : 'volume';
  const targets: TargetChoice[] = [
    { mode: 'new', label: NEW[kind]!, hint: 'beside the original, which stays as it is' },
    { mode: 'in-place', label: 'In place', hint: kind === 'files' ? 'the checkpoint\'s files replace those in the original directory' : 'over the original, which must not be in use' },
  ];
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
