/** The `cairn` command line: commands, their options, and help. Each command lives in commands/. */
import { Command, Option } from 'commander';
import { resolveSecret, type BankOptions, type CliEnvironment } from './context.ts';
import { bankInfo, bankInit, bankPasswd, type InitOptions } from './commands/bank.ts';
import { resourcesCommand } from './commands/resources.ts';
import { backupImageCommand, backupVolumeCommand, backupStreamCommand, type BackupOptions } from './commands/backup.ts';
import { backupFilesCommand, lsCommand } from './commands/files.ts';
import { backupServerCommand, type ServerBackupOptions } from './commands/server.ts';
import { checkpointsCommand } from './commands/checkpoints.ts';
import { restoreCommand, type RestoreOptions } from './commands/restore.ts';
import { verifyCommand } from './commands/verify.ts';
import { forgetCommand, pruneCommand, type PruneOptions } from './commands/forget-prune.ts';
import { gcCommand } from './commands/gc.ts';
import { demoCommand } from './commands/demo.ts';
import { remoteResources } from './commands/remote-catalog.ts';
import { remoteBackup, remoteCheckpoints, remoteForget, remoteRestore, remoteVerify } from './commands/remote-checkpoints.ts';
import { addRemoteCommands, bankOrServer } from './remote-program.ts';
import { CairnError } from '../core/errors.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `cairn verify --bank` checks one checkpoint or the whole bank. */
function onlyOne(refs: string[]): string | undefined {
  if (refs.length > 1) throw new CairnError('bad-input', 'verify in a bank checks one checkpoint, or every one when none is named');
  return refs[0];
}

/** Options every command that opens a bank accepts. */
function bankOptions(cmd: Command, bankRequired = true): Command {
  const bank = new Option('--bank <bank>', 'the bank: a path, file:///path or s3://bucket/prefix').env('CAIRN_BANK');
  if (bankRequired) bank.makeOptionMandatory();
  return cmd
    .addOption(bank)
    .option('--passphrase-file <file>', 'read the passphrase from a file (else CAIRN_PASSPHRASE, else a prompt)')
    .option('--key-file <file>', 'unlock with a key file instead of a passphrase')
    .option('--s3-endpoint <url>', 'S3 endpoint for s3:// banks (else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)')
    .option('--s3-region <region>', 'S3 region (else AWS_REGION)')
    .option('--s3-path-style', 'address buckets as endpoint/bucket (most self-hosted S3 servers)')
    .option('--json', 'print machine-readable JSON (progress as JSON lines on stderr)');
}

/** `cairn server` options; the server itself is wired in by the composition root (the CLI layer does not reach the API). */
export interface ServeOptions {
  data?: string;
  listen?: string;
}

export interface WorkerOptions {
  data?: string;
  /** The hosts (by name) this worker is the agent of. */
  host: string[];
}

/** `cairn catalog rebuild` options, for the composition root that reaches the catalog. */
export interface RebuildOptions {
  data?: string;
  bank: string;
  passphraseFile?: string;
  keyFile?: string;
  name?: string;
  site?: string;
  tenant?: string;
  json?: boolean;
}

export interface ProgramHooks {
  serve?: (opts: ServeOptions) => Promise<void>;
  work?: (opts: WorkerOptions) => Promise<void>;
  rebuildCatalog?: (opts: RebuildOptions, secret: { passphrase: string } | { keyFile: Uint8Array }) => Promise<void>;
}

export function buildProgram(env: CliEnvironment, hooks: ProgramHooks = {}): Command {
  const program = new Command('cairn')
    .description('Cairn: incremental, deduplicated, encrypted backups into a self-describing bank')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => env.stdout.write(s), writeErr: (s) => env.stderr.write(s) })
    .exitOverride()
    // `backup` has options of its own (--plan) and subcommands with options of the same names (--bank):
    // each command reads only the options before its subcommand's name.
    .enablePositionalOptions();

  const bank = program.command('bank').description('create and inspect banks');
  bankOptions(bank.command('init').description('create a bank in an empty location').argument('<bank>'), false)
    .option('--no-passphrase', 'do not add a passphrase slot (needs --key-file)')
    .action((b: string, o: InitOptions) => bankInit(env, { ...o, bank: b }));
  bankOptions(bank.command('info').description('show a bank\'s format, parameters, key slots and size (no key needed)').argument('<bank>'), false)
    .action((b: string, o: BankOptions & { json?: boolean }) => bankInfo(env, { ...o, bank: b }));
  bankOptions(bank.command('passwd').description('change the passphrase (rewrites only the descriptor)').argument('<bank>'), false)
    .option('--new-passphrase-file <file>', 'read the new passphrase from a file (else CAIRN_NEW_PASSPHRASE, else a prompt)')
    .action((b: string, o: BankOptions & { newPassphraseFile?: string; json?: boolean }) => bankPasswd(env, { ...o, bank: b }));

  const backup = program.command('backup').enablePositionalOptions()
    .description('back up an image, a file tree or a stream into a bank (subcommands); or, signed in to a server, a plan or resources of its catalog')
    .option('--plan <id>', 'back up the plan\'s resources now (on the server)')
    .option('--resource <id>', 'back up this resource of the server\'s catalog (repeatable)', collect)
    .option('--bank <id>', 'the server\'s bank to use (default: the plan\'s, or the server\'s default)')
    .option('--full', 'a full backup even where an incremental one could be made')
    .option('--no-wait', 'print the operation and return; do not follow it')
    .option('--json', 'print JSON (progress as JSON lines on stderr)')
    .action((o: Parameters<typeof remoteBackup>[1]) => remoteBackup(env, o));
  const backupCommon = (cmd: Command): Command => bankOptions(cmd)
    .requiredOption('--name <resource>', 'the resource this backup belongs to')
    .option('--tag <tag>', 'a tag to record (repeatable)', collect);
  backupCommon(backup.command('image').description('a disk image or block device, in fixed blocks').argument('<file-or-device>'))
    .option('--parent <checkpoint>', 'incremental on this checkpoint (default: the newest of --name)')
    .option('--full', 'do not use a parent')
    .option('--full-every <n>', 'a full backup whenever the newest checkpoint\'s chain holds n checkpoints (a policy: 7 with daily backups is a weekly full)')
    .action((f: string, o: BackupOptions) => backupImageCommand(env, f, o));
  backupCommon(backup.command('volume')
    .description('a volume: an image file not in use, or qmp-socket#node served by qemu-storage-daemon; qcow2 incrementals read only the blocks its dirty bitmap marks')
    .argument('<image-file | qmp-socket#node>'))
    .option('--parent <checkpoint>', 'incremental on this checkpoint (default: the newest of --name)')
    .option('--full', 'read the whole volume and start a new bitmap chain')
    .option('--full-every <n>', 'a full backup whenever the newest checkpoint\'s chain holds n checkpoints')
    .option('--nbd-socket <path>', 'the NBD server socket the daemon already runs (else Cairn starts one for the backup)')
    .action((f: string, o: BackupOptions & { nbdSocket?: string }) => backupVolumeCommand(env, f, o));
  backupCommon(backup.command('files').description('a directory tree with its metadata').argument('<dir>'))
    .option('--exclude <glob>', 'skip matching paths (repeatable; see docs/cli.md)', collect)
    .option('--parent <checkpoint>', 'reuse unchanged files from this checkpoint (default: the newest of --name)')
    .option('--full', 'read every file')
    .option('--full-every <n>', 'a full backup whenever the newest checkpoint\'s chain holds n checkpoints')
    .action((d: string, o: BackupOptions & { exclude?: string[] }) => backupFilesCommand(env, d, o));
  bankOptions(backup.command('server')
    .description('a libvirt domain: all its disks at one point in time, with its definition; qcow2 disks of a running domain are incremental by libvirt checkpoints')
    .argument('<domain>'))
    .option('--name <resource>', 'the resource this backup belongs to (default: the domain\'s name)')
    .option('--tag <tag>', 'a tag to record (repeatable)', collect)
    .option('-c, --connect <uri>', 'the libvirt connection (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)')
    .option('--quiesce', 'freeze the guest\'s file systems through its agent for the point in time (else crash-consistent)')
    .option('--scratch-dir <dir>', 'where QEMU keeps blocks the guest overwrites while the backup runs (default: the temporary directory)')
    .option('--parent <checkpoint>', 'incremental on this checkpoint (default: the newest of --name)')
    .option('--full', 'read every disk whole and start a new checkpoint chain')
    .option('--full-every <n>', 'a full backup whenever the newest checkpoint\'s chain holds n checkpoints')
    .action((d: string, o: ServerBackupOptions) => backupServerCommand(env, d, o));
  backupCommon(backup.command('stream').description('standard input, e.g. a database dump'))
    .action((o: BackupOptions) => backupStreamCommand(env, o));

  program.command('resources').description('list what can be protected: the volumes of a directory or of a qemu-storage-daemon (its QMP socket), or the domains of a libvirt connection')
    .argument('[location]', 'a directory of volumes or a QMP socket; none: the resources of the server you are signed in to')
    .option('-c, --connect <uri>', 'list the domains (servers) of this libvirt connection').option('--type <type>', 'on the server: only volumes or servers').option('--json', 'print JSON')
    .action((l: string | undefined, o: { json?: boolean; connect?: string; type?: string }) =>
      (l || o.connect ? resourcesCommand(env, l, o) : bankOrServer(env, undefined, () => resourcesCommand(env, l, o), () => remoteResources(env, o))));
  bankOptions(program.command('checkpoints').description('list checkpoints, oldest first: a bank\'s (--bank), or those of the server you are signed in to'), false)
    .option('--name <resource>', 'only this resource')
    .option('--plan <id>', 'on the server: only this plan\'s').option('--resource <id>', 'on the server: only this resource\'s').option('--status <status>', 'on the server: only these')
    .action((o: BankOptions & { name?: string; json?: boolean; plan?: string; resource?: string; status?: string }) =>
      bankOrServer(env, o.bank, () => checkpointsCommand(env, o), () => remoteCheckpoints(env, o)));
  bankOptions(program.command('ls').description('list the paths of a file-tree checkpoint').argument('<checkpoint>').argument('[path]'))
    .option('-l, --long', 'show type, mode, owner, size and time')
    .option('-r, --recursive', 'list the whole subtree')
    .action((c: string, p: string | undefined, o: BankOptions & { long?: boolean; recursive?: boolean; json?: boolean }) => lsCommand(env, c, p, o));
  bankOptions(program.command('restore').description('restore a checkpoint from a bank (--bank, --to), or on the server you are signed in to (--target)').argument('<checkpoint>'), false)
    .option('--to <path>', 'target file, block device or directory; - for standard output (streams)')
    .option('--include <path>', 'restore only this path of a file tree (repeatable)', collect)
    .option('--format <format>', 'an image restores as raw (default) or qcow2 (the default for a --to ending in .qcow2)')
    .option('--in-place', 'write into the existing volume at --to (not in use), or into a server\'s shut-off domain, only the blocks that differ')
    .option('--as <name>', 'restore a server as a new domain of this name (new UUID and MAC addresses; its disks in --to, else beside the originals)')
    .option('-c, --connect <uri>', 'the libvirt connection of a server restore (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)')
    .option('--target <target>', 'on the server: new:<name> (a new volume or server), in-place, or recreate (a server after it was deleted)')
    .option('--host <id>', 'on the server: the host of a new volume or server (default: the original\'s)')
    .option('--no-wait', 'on the server: print the operation and return')
    .action((c: string, o: RestoreOptions & { target?: string; host?: string; wait?: boolean }) =>
      bankOrServer(env, o.bank, () => restoreCommand(env, c, o), () => remoteRestore(env, c, o)));
  bankOptions(program.command('verify').description('re-read and re-hash every referenced chunk; name damaged checkpoints (a bank\'s, or on the server)').argument('[checkpoint...]'), false)
    .option('--no-wait', 'on the server: print the operation and return')
    .action((c: string[], o: BankOptions & { json?: boolean; wait?: boolean }) =>
      bankOrServer(env, o.bank, () => verifyCommand(env, onlyOne(c), o), () => remoteVerify(env, c, o)));
  bankOptions(program.command('forget').description('delete checkpoints (and a server checkpoint\'s libvirt checkpoint) from a bank, or on the server').argument('<checkpoint...>'), false)
    .option('-c, --connect <uri>', 'the libvirt connection of forgotten server checkpoints (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)')
    .option('--no-wait', 'on the server: print the operation and return')
    .action((c: string[], o: BankOptions & { json?: boolean; connect?: string; wait?: boolean }) =>
      bankOrServer(env, o.bank, () => forgetCommand(env, c, o), () => remoteForget(env, c, o)));
  bankOptions(program.command('prune').description('delete checkpoints that no retention rule keeps (docs/prune.md)'))
    .option('--name <resource>', 'only this resource')
    .option('--keep-last <n>').option('--keep-hourly <n>').option('--keep-daily <n>').option('--keep-weekly <n>')
    .option('--keep-monthly <n>').option('--keep-yearly <n>')
    .option('--keep-within <duration>', 'keep all within this span of the newest (e.g. 7d, 2w, 1y6m)')
    .option('--dry-run', 'show what would be removed; change nothing')
    .action((o: PruneOptions) => pruneCommand(env, o));
  bankOptions(program.command('gc').description('delete data no checkpoint needs; safe while backups run'))
    .option('--dry-run', 'report what would be deleted')
    .action((o: BankOptions & { dryRun?: boolean; json?: boolean }) => gcCommand(env, o));
  program.command('server').description('run the Cairn service: REST API under /v1 with its catalog (embedded PGlite in --data, or PostgreSQL by DATABASE_URL)')
    .option('--data <dir>', 'the data directory: catalog and local bank (default: $CAIRN_DATA, else ./cairn-data)')
    .option('--listen <host:port>', 'where the API listens (default 127.0.0.1:8080; port 0 picks a free one)')
    .action(async (o: ServeOptions) => {
      if (!hooks.serve) throw new Error('this build of cairn has no server');
      await hooks.serve(o);
    });
  program.command('worker').description('run operations for a cluster of servers on one PostgreSQL catalog (DATABASE_URL), without serving the API')
    .option('--data <dir>', 'where its master.key is, when CAIRN_MASTER_KEY is not set (default: $CAIRN_DATA, else ./cairn-data)')
    .option('--host <name>', 'be the agent of this host (repeat for several): run its operations, and no others; only its agents run them from then on',
      (name: string, all: string[]) => [...all, name], [])
    .action(async (o: WorkerOptions) => {
      if (!hooks.work) throw new Error('this build of cairn has no worker');
      await hooks.work(o);
    });
  program.command('catalog').description('the server\'s catalog, reached directly (with the server stopped when it is the embedded one)')
    .command('rebuild').description('attach a bank and import its checkpoints: a lost catalog made anew, or a bank another site wrote')
    .requiredOption('--bank <bank>', 'the bank: a path or s3://bucket/prefix')
    .option('--passphrase-file <file>', 'read the bank\'s passphrase from a file (else CAIRN_PASSPHRASE, else a prompt)')
    .option('--key-file <file>', 'open it with a key file instead (the master.key of the server that made a local bank)')
    .option('--data <dir>', 'the server\'s data directory (default: $CAIRN_DATA, else ./cairn-data); DATABASE_URL names a PostgreSQL catalog')
    .option('--name <name>', 'the bank\'s name in the catalog (default: bank-<its id>)')
    .option('--site <name>', 'the site it is attached to (default: the first one)')
    .option('--tenant <id>', 'give the imported checkpoints no tenant owns to this tenant')
    .option('--json', 'print JSON')
    .action(async (o: RebuildOptions) => {
      if (!hooks.rebuildCatalog) throw new Error('this build of cairn has no catalog');
      await hooks.rebuildCatalog(o, await resolveSecret(env, o));
    });
  addRemoteCommands(program, env);
  program.command('demo').description('back up and restore a sample disk image into a local bank')
    .option('--dir <dir>', 'where to put the sample image and bank', 'cairn-demo')
    .option('--json', 'print the results as JSON')
    .action((o: { dir: string; json?: boolean }) => demoCommand(env, o));
  return program;
}
