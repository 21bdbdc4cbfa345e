// A fresh database on the PostgreSQL server at 127.0.0.1:5432 (trust auth) for one test, dropped after it.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';

const ADMIN_URL = process.env.CAIRN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function freshDatabase(t: TestContext): Promise<string> {
  const name = `cairn_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  t.after(async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      await c.query(`drop database if exists ${name} with (force)`);
    } finally {
      await c.end();
    }
  });
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
