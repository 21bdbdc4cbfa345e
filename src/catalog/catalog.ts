/**
 * Opens the catalog: PGlite in a data directory (the embedded default, held by one process) or a
 * PostgreSQL server (DATABASE_URL, shared by every node), migrated to the current schema.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { CairnError } from '../core/errors.ts';
import { migrationProvider } from './migrations.ts';
import type { Database } from './schema.ts';

export type CatalogConfig = { dataDir: string } | { databaseUrl: string };

/** The connection the job queue (pg-boss) shares: PGlite is one in-process database, so it must be the same instance. */
export type JobsConnection = { kind: 'pglite'; pglite: PGlite } | { kind: 'postgres'; url: string };

export interface Catalog {
  db: Kysely<Database>;
  jobs: JobsConnection;
  /** Where it lives, for people: the data directory or the server (without a password). */
  description: string;
  close(): Promise<void>;
}

export async function openCatalog(config: CatalogConfig): Promise<Catalog> {
  if ('databaseUrl' in config) return openPostgres(config.databaseUrl);
  return openEmbedded(config.dataDir);
}

async function openPostgres(url: string): Promise<Catalog> {
  const { default: pg } = await import('pg');
  // int8 as numbers (byte counts stay far below 2^53), as PGlite returns them.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection the server drops (a restart, a failover) is replaced on the next query; it must not end the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const description = safeUrl(url);
  try {
    await migrate(db, description);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, description, jobs: { kind: 'postgres', url }, close: () => db.destroy() };
}

async function openEmbedded(dataDir: string): Promise<Catalog> {
  await mkdir(dataDir, { recursive: true });
  const release = await lockDataDir(dataDir);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = await PGlite.create(join(dataDir, 'catalog'));
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
    const description = join(dataDir, 'catalog');
    try {
      await migrate(db, description);
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return {
      db, description, jobs: { kind: 'pglite', pglite },
      close: async () => {
        await db.destroy();
        await release();
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}

async function migrate(db: Kysely<Database>, where: string): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new CairnError('storage', `cannot bring the catalog at ${where} to the current schema${failed ? ` (migration ${failed} failed)` : ''}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * PGlite has no locking of its own: two processes on one directory would both write and lose rows.
 * The lock is a file holding the owner's pid; one whose owner is gone is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'catalog.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (owner > 0 && alive(owner)) {
        throw new CairnError('locked', `another Cairn process (pid ${owner}) holds the data directory ${dataDir}: stop it, or start this one with another --data`);
      }
      await rm(path, { force: true }); // its owner died without releasing it
    }
  }
  throw new CairnError('locked', `cannot take the lock of ${dataDir} (${path}): another process keeps taking it`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'the PostgreSQL server of DATABASE_URL';
  }
}
