/**
 * `cairn server`: the catalog (PGlite in the data directory, or PostgreSQL by DATABASE_URL), the
 * operator account on first start, and the API, until SIGINT or SIGTERM.
 */
import { resolve } from 'node:path';
import { buildApp } from '../api/app.ts';
import { ADMIN, ensureAdmin } from '../catalog/access.ts';
import { openCatalog } from '../catalog/catalog.ts';
import { CairnError } from '../core/errors.ts';
import type { ServeOptions } from '../cli/program.ts';

export interface ServerEnvironment {
  stdout: NodeJS.WritableStream;
  /** CAIRN_DATA, DATABASE_URL, CAIRN_ADMIN_PASSWORD */
  dataDir?: string;
  databaseUrl?: string;
  adminPassword?: string;
  version: string;
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new CairnError('bad-input', `--listen ${text}: give host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080 ([::1]:8080 for IPv6)`);
  return { host: m[1] ?? m[2]!, port };
}

export async function runServer(opts: ServeOptions, env: ServerEnvironment): Promise<void> {
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:8080');
  const dataDir = resolve(opts.data ?? env.dataDir ?? 'cairn-data');
  const catalog = await openCatalog(env.databaseUrl ? { databaseUrl: env.databaseUrl } : { dataDir });
  try {
    const admin = await ensureAdmin(catalog.db, env.adminPassword);
    if (admin.generatedPassword) {
      env.stdout.write(`created the operator account '${ADMIN}' with the password ${admin.generatedPassword}\n` +
        '  it is shown this once: keep it, or set CAIRN_ADMIN_PASSWORD before the first start next time\n');
    } else if (admin.created) {
      env.stdout.write(`created the operator account '${ADMIN}' with the password in CAIRN_ADMIN_PASSWORD\n`);
    }
    const app = await buildApp({ catalog, version: env.version, logger: { level: 'warn' } });
    try {
      const address = await app.listen({ host, port });
      env.stdout.write(`cairn server listening on ${address} (catalog: ${catalog.description}); API description at ${address}/v1/openapi.json\n`);
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
    } finally {
      await app.close();
    }
  } finally {
    await catalog.close();
  }
}
