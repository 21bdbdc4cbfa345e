// `npm run bench`: Cairn, restic and borg on the same data in the same run. For each data set
// (a sparse ext4 image, a tree of files) and each tool: full backup, incremental after a known
// change, restore of the incremental checked byte for byte. Prints a table with ratios to restic
// and writes everything to bench-output/results-<date>.json. Exit status 1 if anything failed.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cairn } from './cairn.ts';
import { imageSet, treeSet, type ImageSet } from './dataset.ts';
import { domainData, domainSubject, domainTools, runDomainBench } from './domain-bench.ts';
import { dropCaches, run } from './measure.ts';
import type { BenchOptions } from './options.ts';
import { parseOptions, usage } from './options.ts';
import { borg, restic } from './peers.ts';
import type { Row, ScenarioResult, Subject } from './scenario.ts';
import { imageSubject, runScenario, treeSubject } from './scenario.ts';
import { volumeSubject } from './volume-subject.ts';
import { formatTable } from './table.ts';
import type { BenchTool } from './tool.ts';

const gib = 1024 ** 3;

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    console.log(usage);
    return 0;
  }
  const options = parseOptions(process.argv.slice(2));
  await mkdir(options.workDir, { recursive: true });
  const cold = await dropCaches();
  const host = await describeHost(options.workDir, cold);
  const subjects = await buildSubjects(options);
  const tools = makeTools(options);
  const versions: Record<string, string> = {};
  for (const tool of tools) versions[tool.name] = await tool.version().catch((err: unknown) => `version unknown: ${String(err)}`);
  const results: Record<string, ScenarioResult> = {};
  for (const subject of subjects) {
    for (const tool of tools) {
      console.error(`bench: ${tool.name} on ${subject.name}`);
      results[`${tool.name}/${subject.name}`] = await runScenario(tool, subject, join(options.workDir, tool.name, subject.name), cold, options.keep)
        .catch((err: unknown) => crashed(tool, subject, err));
    }
  }
  const rows = Object.values(results).flatMap((result) => result.rows);
  const notes: string[] = [];
  if (options.data.includes('domain')) {
    const domain = await domainSubject(await benchImage(options), options.seed);
    const peers = domainTools(options.tools);
    for (const tool of peers) if (tool.name !== 'cairn') notes.push(`${tool.name}: ${await tool.version().catch((err: unknown) => `version unknown: ${String(err)}`)}\n  ${tool.settings}`);
    notes.push(`data ${domainData}: a running libvirt domain (TCG) with a 2147.5 MB qcow2 disk, the first 2 GiB of the image; ` +
      `${mb(domain.changedBytes)} MB changed before the incremental (${domain.blocks.length} scattered 64 KiB guest writes of real data); ratios to virtnbdbackup`);
    rows.push(...await runDomainBench(domain, peers, options.workDir, cold, options.keep));
  }
  printReport(host, versions, tools, subjects, rows, results, notes);
  const settings = Object.fromEntries(tools.map((tool) => [tool.name, tool.settings]));
  const file = await writeResults({ options, host, versions, settings, subjects, rows, results });
  console.log(`\nresults: ${file}${options.keep ? `\nwork dir kept: ${options.workDir}` : ''}`);
  if (!options.keep) await rm(options.workDir, { recursive: true, force: true });
  return rows.every((row) => row.ok) ? 0 : 1;
}

function benchImage(options: BenchOptions): Promise<ImageSet> {
  return imageSet(options.cacheDir, options.imageBytes, options.imageDataBytes, options.seed);
}

async function buildSubjects(options: BenchOptions): Promise<Subject[]> {
  const subjects: Subject[] = [];
  if (options.data.includes('image') || options.data.includes('volume')) {
    const set = await benchImage(options);
    if (options.data.includes('image')) subjects.push(imageSubject(set, 'random'), imageSubject(set, 'real'));
    if (options.data.includes('volume')) subjects.push(volumeSubject(set, options.seed));
  }
  if (options.data.includes('files')) subjects.push(treeSubject(await treeSet(options.cacheDir, options.treeBytes, options.seed)));
  return subjects;
}

function makeTools(options: BenchOptions): BenchTool[] {
  const factories: Record<string, () => BenchTool> = {
    cairn: () => cairn(),
    restic: () => restic(join(options.workDir, 'restic')),
    borg: () => borg(join(options.workDir, 'borg')),
  };
  return options.tools.map((name) => (factories[name] ?? factories.restic!)());
}

/** A harness bug or a failed helper step must not lose the other tools' results. */
function crashed(tool: BenchTool, subject: Subject, err: unknown): ScenarioResult {
  const error = `harness: ${err instanceof Error ? err.message : String(err)}`;
  return { rows: (['full', 'incremental', 'restore'] as const).map((phase) => ({ data: subject.name, tool: tool.name, phase, ok: false, bytes: 0, note: '', error })) };
}

async function describeHost(workDir: string, cold: boolean): Promise<Record<string, string>> {
  const df = await run('df', ['-h', '--output=source,fstype,size,avail', workDir]).catch(() => '');
  return {
    cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
    memory: `${(totalmem() / gib).toFixed(0)} GiB`,
    kernel: (await readFile('/proc/version', 'utf8').catch(() => '')).split(' ').slice(0, 3).join(' '),
    disk: df.trim().split('\n').at(-1) ?? '',
    cache: cold ? 'page cache dropped before every timed step' : 'drop_caches not permitted: sources and repositories read once before every timed step (warm)',
  };
}

function printReport(host: Record<string, string>, versions: Record<string, string>, tools: BenchTool[], subjects: Subject[], rows: Row[], results: Record<string, ScenarioResult>, notes: string[]): void {
  for (const [key, value] of Object.entries(host)) console.log(`${key}: ${value}`);
  for (const tool of tools) console.log(`${tool.name}: ${versions[tool.name]}\n  ${tool.settings}`);
  for (const subject of subjects) {
    console.log(`data ${subject.name}: ${mb(subject.fullBytes)} MB logical, ${mb(subject.changedBytes)} MB changed before the incremental (${subject.changeNote})`);
  }
  for (const note of notes) console.log(note);
  console.log(`\n${formatTable(rows)}`);
  console.log('MB = 10^6 bytes. time = wall time of the command; +sync = a sync right after it (write-back the tool left behind);');
  console.log('/ref = ratio to restic (to virtnbdbackup for the domain); +sync/ref compares time + sync: until the data is on disk.');
  console.log('MB/s = logical source size (holes included) / time. repo = du -sb of the repository.\n');
  for (const subject of subjects) {
    for (const tool of tools) {
      const result = results[`${tool.name}/${subject.name}`];
      const files = result?.repoFiles;
      if (files !== undefined) console.log(`${tool.name} ${subject.name}: ${(files / (subject.fullBytes / gib)).toFixed(0)} repository files per GiB of source (${files} files)`);
      const restored = result?.restoredAllocatedBytes;
      const expected = subject.modifiedAllocatedBytes;
      if (restored !== undefined && expected !== undefined) {
        console.log(`${tool.name} ${subject.name}: restored file has ${mb(restored)} MB allocated (the source ${mb(expected)} MB)`);
      }
      const report = result?.rows.find((row) => row.phase === 'incremental')?.report;
      if (report) {
        console.log(`${tool.name} ${subject.name} incremental: read amplification ${(report.readBytes / subject.changedBytes).toFixed(1)}, ` +
          `write amplification ${(report.writtenBytes / subject.changedBytes).toFixed(2)} (bytes read / written per changed byte)`);
      }
    }
  }
  const failures = rows.filter((row) => row.error !== undefined);
  if (failures.length > 0) console.log(`\nfailures:\n${failures.map((row) => `  ${row.tool} ${row.data} ${row.phase}: ${row.error}`).join('\n')}`);
  if (rows.some((row) => row.note === 'RESTORE MISMATCH')) console.log('\n!!! A RESTORE DID NOT RETURN THE BACKED-UP BYTES !!!');
}

async function writeResults(results: unknown): Promise<string> {
  const dir = fileURLToPath(new URL('../bench-output/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const file = join(dir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  return 2;
});
