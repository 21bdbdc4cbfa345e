// First step of `npm test`: fail fast, with what to do, when the runtime is not the one the project needs.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`npm test runs on Node ${process.versions.node}; Cairn needs Node 24. Run 'npm ci' first: it installs Node 24 into node_modules/.bin, which npm scripts use.`);
  process.exit(1);
}
