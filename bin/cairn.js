#!/usr/bin/env -S node --max-semi-space-size=2
// Entry of `npx cairn`: Cairn needs Node 24 (it runs its TypeScript sources directly).
// When started by an older system Node, re-run with the Node 24 that `npm ci` put in node_modules.
//
// --max-semi-space-size=2: the main thread makes little garbage that lives, but V8 sizes its young
// generation for allocation rate and kept ~60 MB of it (measured peak RSS of a file-tree backup:
// 283 MB → 241 MB, no slower). It can only be set on the command line, hence the #! line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
const main = fileURLToPath(new URL('../src/main/cli.ts', import.meta.url));
if (major >= 24) {
  module.enableCompileCache(); // before loading the sources: their stripped TypeScript is cached between runs (less memory, faster start)
  await import(main);
} else {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(local)) {
    process.stderr.write(`cairn: Node ${process.versions.node} is too old; Cairn needs Node 24 or newer.\n` +
      `Run 'npm ci' in the Cairn checkout (it installs Node 24 into node_modules), or install Node 24.\n`);
    process.exit(1);
  }
  const r = spawnSync(local, ['--max-semi-space-size=2', main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
