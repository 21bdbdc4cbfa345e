/**
 * `cairn worker`: a node that runs operations and serves no API, joining the cluster of servers and
 * workers on one PostgreSQL catalog (DATABASE_URL). It shares the servers' master key (CAIRN_MASTER_KEY,
 * or master.key in its data directory) to open the banks' sealed passphrases.
 */
import { resolve } from 'node:path';
import { openCatalog } from '../catalog/catalog.ts';
import { CairnError } from '../core/errors.ts';
import { registerAgent } from '../catalog/resources.ts';
import type { WorkerOptions } from '../cli/program.ts';
import { loadMasterKey, startOperations, stopSignal, type ServerEnvironment } from './server.ts';

/** How often an agent says again that it serves its hosts (shown as the hosts' agentSeenAt). */
const AGENT_HEARTBEAT_MS = 30_000;

export async function runWorker(opts: WorkerOptions, env: ServerEnvironment): Promise<void> {
  if (!env.databaseUrl) throw new CairnError('bad-input', 'a worker joins a cluster on PostgreSQL: set DATABASE_URL to the catalog its servers use');
  const dataDir = resolve(opts.data ?? env.dataDir ?? 'cairn-data');
  const catalog = await openCatalog({ databaseUrl: env.databaseUrl });
  try {
    const masterKey = await loadMasterKey(dataDir, env.masterKey);
    const hosts = opts.host.length ? await registerAgent(catalog.db, opts.host) : [];
    const operations = await startOperations(catalog, masterKey, env, 2, hosts.map((h) => h.id));
    const heartbeat = hosts.length ? setInterval(() => void registerAgent(catalog.db, opts.host).catch(() => undefined), AGENT_HEARTBEAT_MS) : undefined;
    try {
      const serving = hosts.length ? ` of ${hosts.map((h) => h.name).join(', ')}, as their agent` : '';
      env.stdout.write(`cairn worker running operations${serving} (catalog: ${catalog.description}), pid ${process.pid}\n`);
      await stopSignal();
    } finally {
      clearInterval(heartbeat);
      await operations.stop();
    }
  } finally {
    await catalog.close();
  }
}
