/**
 * File sets: the directories under a host's file-roots directory, each backed up as a tree with its
 * metadata (the mover's files backup) and restored into a new directory or over the original.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import type { JsonSchema, Resource } from '../../core/plugin.ts';

const SCHEMA = 'https://json-schema.org/draft/2020-12/schema';

export const fileSetSchemas: { backupOptionsSchema: JsonSchema; restoreTargetSchema: JsonSchema } = {
  backupOptionsSchema: {
    $schema: SCHEMA, type: 'object', additionalProperties: true,
    properties: { exclude: { type: 'array', items: { type: 'string' }, description: 'glob patterns of paths to leave out (as cairn backup files --exclude)' } },
  },
  restoreTargetSchema: {
    $schema: SCHEMA, type: 'object', additionalProperties: false, required: ['path'],
    properties: {
      path: { type: 'string', description: 'the directory to restore into (a new one, or the original: files in the checkpoint replace those there, others stay)' },
      include: { type: 'array', items: { type: 'string' }, description: 'restore only these paths of the tree (with their parent directories)' },
    },
  },
};

export async function discoverFileSets(location: string): Promise<Resource[]> {
  const st = await stat(location).catch(() => undefined);
  if (!st) throw new CairnError('not-found', `${location} does not exist`);
  if (!st.isDirectory()) throw new CairnError('bad-input', `${location} is not a directory of file roots`);
  const found: Resource[] = [];
  for (const e of (await readdir(location, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    // Cairn's own partial restores (.cairn-…) and hidden directories are not file sets.
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    found.push({ type: 'fileset', id: join(location, e.name), name: e.name });
  }
  return found;
}
