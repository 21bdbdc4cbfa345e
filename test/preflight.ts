// First step of `npm test`: fail fast, with what to do, when the runtime or a tool is not what the project needs.
import { execFileSync } from 'node:child_process';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`npm test runs on Node ${process.versions.node}; Cairn needs Node 24. Run 'npm ci' first: it installs Node 24 into node_modules/.bin, which npm scripts use.`);
  process.exit(1);
}

// Tests run the real QEMU tools; say which package to install instead of failing test by test.
const tools: [string, string][] = [
  ['qemu-img', 'qemu-utils'], ['qemu-nbd', 'qemu-utils'], ['qemu-io', 'qemu-utils'], ['qemu-storage-daemon', 'qemu-system-common'],
  ['qemu-system-x86_64', 'qemu-system-x86'], ['virsh', 'libvirt-clients'], ['libvirtd', 'libvirt-daemon-system'],
  ['chromium', 'chromium'],
];
const missing = tools.filter(([tool]) => { try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); return false; } catch { return true; } });
if (missing.length > 0) {
  console.error(`npm test needs ${missing.map(([t]) => t).join(', ')}: run 'bash scripts/setup.sh test' (as root), or apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')}`);
  process.exit(1);
}

// The catalog's tests run against the PostgreSQL server on 127.0.0.1:5432 (trust auth) as well as PGlite.
const pgUrl = process.env.CAIRN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
try {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  await client.end();
} catch (err) {
  console.error(`npm test needs a PostgreSQL server at ${pgUrl} that lets its user create databases (${(err as Error).message}); start it (pg_ctlcluster 15 main start) or set CAIRN_TEST_PG`);
  process.exit(1);
}
