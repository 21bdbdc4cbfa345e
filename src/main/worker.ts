/**
 * `cairn worker`: a node that runs operations and serves no API, joining the cluster of servers and
 * workers on one PostgreSQL catalog (DATABASE_URL). It shares the servers' master key (CAIRN_MASTER_KEY,
 * or master.key in its data directory) to open the banks' sealed passphrases.
 */
import { resolve } from 'node:path';
import { openCatalog } from '../catalog/catalog.ts';
import { CairnError } from '../core/errors.ts';
import type { ServeOptions } from '../cli/program.ts';
import { loadMasterKey, startOperations, stopSignal, type ServerEnvironment } from './server.ts';

export async function runWorker(opts: Pick<ServeOptions, 'data'>, env: ServerEnvironment): Promise<void> {
  if (!env.databaseUrl) throw new CairnError('bad-input', 'a worker joins a cluster on PostgreSQL: set DATABASE_URL to the catalog its servers use');
  const dataDir = resolve(opts.data ?? env.dataDir ?? 'cairn-data');
  const catalog = await openCatalog({ databaseUrl: env.databaseUrl });
  try {
    const masterKey = await loadMasterKey(dataDir, env.masterKey);
    const operations = await startOperations(catalog, masterKey, env, 2);
    try {
      env.stdout.write(`cairn worker running operations (catalog: ${catalog.description}), pid ${process.pid}\n`);
      await stopSignal();
    } finally {
      await operations.stop();
    }
  } finally {
    await catalog.close();
  }
}
