// `npm run bench:scheduler`: the scheduler at scale. N plans (10,000 by default), each with one
// resource, on policies that tick every minute, served by three `cairn server` processes on one
// PostgreSQL database. For several ticks it reports runs per plan per tick (must be exactly one: none
// missed, none twice, each with exactly one job), the delay from each tick to its operation being queued (p50/p99/max), the
// scheduler's turn time, and how much the catalog grew per run. The nodes run no operations
// (CAIRN_WORKERS=0): what is measured is the scheduler, not the backups (see `npm run bench`).
//
//   node bench/scheduler-bench.ts [--plans 10000] [--ticks 3] [--nodes 3] [--pg postgres://postgres@127.0.0.1:5432/postgres]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const CLI = fileURLToPath(new URL('../src/main/cli.ts', import.meta.url));
const { values: args } = parseArgs({
  options: {
    plans: { type: 'string', default: '10000' }, ticks: { type: 'string', default: '3' }, nodes: { type: 'string', default: '3' },
    pg: { type: 'string', default: process.env.CAIRN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const PLANS = Number(args.plans), TICKS = Number(args.ticks), NODES = Number(args.nodes);
const TENANTS = Math.max(1, Math.ceil(PLANS / 100)), POLICIES = 10;

interface Node { child: ChildProcess; output: () => string }

function startNode(dataDir: string, env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, [CLI, 'server', '--listen', '127.0.0.1:0', '--data', dataDir], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => { text += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { text += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a node did not start within 60 s:\n${text}`)), 60_000);
    child.stdout.on('data', () => {
      if (/listening on http/.test(text)) {
        clearTimeout(timer);
        resolve({ child, output: () => text });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`a node exited ${code}:\n${text}`)); });
  });
}

async function stopNode(n: Node): Promise<void> {
  if (n.child.exitCode !== null || n.child.signalCode !== null) return;
  const exited = new Promise((r) => n.child.once('exit', r));
  n.child.kill('SIGTERM');
  await exited;
}

/** Tenants, a file-set host with one resource per plan, ten offerings ticking every minute, the plans. */
async function seed(db: pg.Client, dir: string): Promise<void> {
  const { rows: [site] } = await db.query<{ id: string }>('select id from sites limit 1');
  const { rows: [bank] } = await db.query<{ id: string }>('select id from banks limit 1');
  await db.query('begin');
  await db.query(`insert into tenants (id, name) select 'bt' || i, 'bench-' || i from generate_series(1, $1) i`, [TENANTS]);
  await db.query(`insert into hosts (id, name, site_id, kind, location) values ('bh', 'bench', $1, 'files', $2)`, [site!.id, dir]);
  await db.query(`insert into resources (id, host_id, tenant_id, type, external_id, name)
    select 'br' || i, 'bh', 'bt' || (1 + i % $2), 'fileset', $3 || '/r' || i, 'r' || i from generate_series(1, $1) i`, [PLANS, TENANTS, dir]);
  await db.query(`insert into policies (id, tenant_id, name, schedule, time_zone, retention, options)
    select 'bp' || i, null, 'every minute ' || i, '* * * * *', (array['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Tokyo'])[1 + i % 4], '{"keepLast": 3}', '{}'
    from generate_series(1, $1) i`, [POLICIES]);
  await db.query(`insert into plans (id, tenant_id, name, policy_id, bank_id)
    select 'bplan' || i, 'bt' || (1 + i % $2), 'plan ' || i, 'bp' || (1 + i % $3), $4 from generate_series(1, $1) i`, [PLANS, TENANTS, POLICIES, bank!.id]);
  await db.query(`insert into plan_resources (plan_id, resource_id) select 'bplan' || i, 'br' || i from generate_series(1, $1) i`, [PLANS]);
  await db.query('commit');
}

const sizeOf = async (db: pg.Client): Promise<number> => Number((await db.query<{ n: string }>('select pg_database_size(current_database()) as n')).rows[0]!.n);
const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const name = `cairn_bench_sched_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: args.pg });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(args.pg);
  url.pathname = `/${name}`;
  const dir = await mkdtemp(join(tmpdir(), 'cairn-sched-bench-'));
  const env = { DATABASE_URL: url.toString(), CAIRN_MASTER_KEY: randomBytes(32).toString('base64'), CAIRN_ADMIN_PASSWORD: 'bench passphrase', CAIRN_WORKERS: '0' };
  const nodes: Node[] = [];
  const db = new pg.Client({ connectionString: url.toString() });
  try {
    // The first node makes the catalog (and the bank); the others join it.
    nodes.push(await startNode(join(dir, 'n0'), env));
    await db.connect();
    await mkdir(join(dir, 'files'));
    const seeding = Date.now();
    await seed(db, join(dir, 'files'));
    console.error(`bench: ${PLANS} plans of ${TENANTS} tenants seeded in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);
    for (let i = 1; i < NODES; i++) nodes.push(await startNode(join(dir, `n${i}`), env));
    const before = await sizeOf(db);

    // The ticks measured: the next whole minutes, after the plans were made.
    const first = Math.ceil((Date.now() + 5_000) / 60_000) * 60_000;
    const ticks = Array.from({ length: TICKS }, (_, i) => new Date(first + i * 60_000));
    console.error(`bench: ${NODES} nodes; waiting for the ticks of ${ticks.map((t) => t.toISOString().slice(11, 16)).join(', ')}`);
    const deadline = ticks.at(-1)!.getTime() + 180_000;
    for (;;) {
      const { rows: [r] } = await db.query<{ n: number }>(`select count(*)::int as n from operations where dedupe_key like 'plan:%' and split_part(dedupe_key, '@', 2) = any($1::text[])`,
        [ticks.map((t) => t.toISOString())]);
      if (r!.n >= PLANS * TICKS || Date.now() > deadline) break;
      await sleep(2_000);
    }
    await sleep(5_000); // a late duplicate would show by now

    const perTick = [];
    for (const tick of ticks) {
      // A run's job is its operation's job_id; a run without one would never start, and a second job
      // for one operation (sent twice) would run it twice if its guard failed.
      const { rows } = await db.query<{ runs: number; plans: number; twice: number; jobless: number; doubled: number; p50: number; p99: number; max: number; turn: number }>(`
        with runs as (
          select o.id, o.request->>'planId' as plan, extract(epoch from (j.created_on - $1::timestamptz)) as delay, o.created_at as made, j.created_on as queued, j.id as job
          from operations o left join pgboss.job j on j.id = o.job_id::uuid and j.name = 'operations'
          where o.scheduled and o.type = 'backup' and o.dedupe_key like 'plan:%@' || $2
        )
        select count(*)::int as runs, count(distinct plan)::int as plans,
          (select count(*)::int from (select plan from runs group by plan having count(*) > 1) d) as twice,
          (select count(*)::int from runs where job is null) as jobless,
          (select count(*)::int from (select j.data->>'operationId' from pgboss.job j join runs r on r.id = j.data->>'operationId' group by 1 having count(*) > 1) d) as doubled,
          percentile_cont(0.5) within group (order by delay) as p50, percentile_cont(0.99) within group (order by delay) as p99, max(delay) as max,
          extract(epoch from (max(queued) - min(made))) as turn
        from runs`, [tick, tick.toISOString()]);
      perTick.push({ tick: tick.toISOString(), ...rows[0]! });
    }
    const after = await sizeOf(db);
    const { rows: [boss] } = await db.query<{ n: string }>(`select coalesce(sum(pg_total_relation_size(c.oid)), 0) as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = 'pgboss' and c.relkind in ('r', 'p')`);
    const runs = perTick.reduce((a, t) => a + t.runs, 0);
    console.log(`\nScheduler: ${PLANS} plans, ${NODES} nodes on PostgreSQL, ${TICKS} ticks (one a minute)\n`);
    console.log('tick (UTC)  runs    plans run  runs/plan  twice  no job  2 jobs  queued p50  p99     max      turn');
    for (const t of perTick) {
      console.log(`${t.tick.slice(11, 16)}       ${String(t.runs).padEnd(7)} ${String(t.plans).padEnd(10)} ${(t.runs / PLANS).toFixed(3).padEnd(10)} ${String(t.twice).padEnd(6)} ${String(t.jobless).padEnd(7)} ${String(t.doubled).padEnd(7)} ${Number(t.p50).toFixed(2).padStart(7)} s ${Number(t.p99).toFixed(2).padStart(5)} s ${Number(t.max).toFixed(2).padStart(5)} s ${Number(t.turn).toFixed(2).padStart(6)} s`);
    }
    console.log(`\ncatalog: ${mib(before)} MiB after seeding, ${mib(after)} MiB after ${runs} runs (+${mib(after - before)} MiB, ${((after - before) / Math.max(1, runs)).toFixed(0)} bytes a run; the job queue ${mib(Number(boss!.n))} MiB)`);
    const out = fileURLToPath(new URL('../bench-output/', import.meta.url));
    await mkdir(out, { recursive: true });
    const file = join(out, `scheduler-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json`);
    await writeFile(file, JSON.stringify({ plans: PLANS, nodes: NODES, ticks: perTick, catalogBytes: { before, after }, jobQueueBytes: Number(boss!.n) }, null, 2));
    console.log(`written to ${file}`);
    if (perTick.some((t) => t.runs !== PLANS || t.twice > 0 || t.jobless > 0 || t.doubled > 0)) process.exitCode = 1;
  } finally {
    await Promise.all(nodes.map(stopNode));
    await db.end().catch(() => undefined);
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
