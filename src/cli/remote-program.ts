/**
 * The commands that talk to a Cairn server (signed in with `cairn login`), and the rule that sends
 * a command that can work either way to a bank (--bank given) or to the server (none given).
 */
import type { Command } from 'commander';
import { CairnError } from '../core/errors.ts';
import type { CliEnvironment } from './context.ts';
import { loginCommand, logoutCommand, whoamiCommand, type LoginOptions } from './commands/login.ts';
import { operationCancel, operationShow, operationsList, operationWatch } from './commands/operations.ts';
import { deleteOne, planCreate, plansList, planUpdate, policiesList, policyCreate, showOne, type PolicyOptions } from './commands/remote-catalog.ts';
import { hasSession } from './remote/session.ts';
import { addAdminCommands } from './remote-admin-program.ts';

type Json = { json?: boolean };
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Runs `local` when a bank is named, else `server` when signed in; otherwise says how to do either. */
export async function bankOrServer(env: CliEnvironment, bank: string | undefined, local: () => Promise<void>, server: () => Promise<void>): Promise<void> {
  if (bank) return local();
  if (!(await hasSession(env))) {
    throw new CairnError('bad-input', 'name a bank with --bank <bank> (or CAIRN_BANK), or sign in to a Cairn server with cairn login <url> to work on its catalog');
  }
  return server();
}

export function addRemoteCommands(program: Command, env: CliEnvironment): void {
  program.command('login').description('sign in to a Cairn server; the token is kept in a file only you can read')
    .argument('<url>', 'the server, e.g. http://127.0.0.1:8080')
    .option('-u, --username <name>', 'the account', 'admin')
    .option('--password-file <file>', 'read the password from a file (else CAIRN_PASSWORD, else a prompt)')
    .option('--ttl <seconds>', 'how long the token lives (default: the server\'s, 12 hours)')
    .option('--json', 'print JSON')
    .action((url: string, o: LoginOptions) => loginCommand(env, url, o));
  program.command('logout').description('revoke the session\'s token and forget it').option('--json', 'print JSON')
    .action((o: Json) => logoutCommand(env, o));
  program.command('whoami').description('who the session signs in as, and in which tenants').option('--json', 'print JSON')
    .action((o: Json) => whoamiCommand(env, o));

  const policies = program.command('policies').description('policies on the server: schedule, retention and backup options (list without a subcommand)')
    .option('--json', 'print JSON').action((o: Json) => policiesList(env, o));
  policies.command('create').description('make a policy (an operator without --tenant publishes an offering)').argument('<name>')
    .option('--schedule <cron>', 'five cron fields, e.g. "30 2 * * *" (default: manual backups only)')
    .option('--time-zone <zone>', 'IANA time zone of the schedule and retention periods (default UTC)')
    .option('--keep-last <n>').option('--keep-hourly <n>').option('--keep-daily <n>').option('--keep-weekly <n>').option('--keep-monthly <n>').option('--keep-yearly <n>')
    .option('--keep-within <duration>', 'keep all within this span of the newest (e.g. 7d, 2w, 1y6m)')
    .option('--option <key=value>', 'a backup option (repeatable), e.g. quiesce=true', collect)
    .option('--description <text>').option('--tenant <id>', 'the tenant (needed when you belong to several)')
    .option('--json', 'print JSON')
    .action((name: string, o: PolicyOptions) => policyCreate(env, name, o));
  policies.command('show').argument('<id>').option('--json', 'print JSON').action((id: string, o: Json) => showOne(env, 'policies', id, o));
  policies.command('delete').argument('<id>').option('--json', 'print JSON').action((id: string, o: Json) => deleteOne(env, 'policies', id, o));

  const plans = program.command('plans').description('plans on the server: resources protected by a policy into a bank (list without a subcommand)')
    .option('--json', 'print JSON').action((o: Json) => plansList(env, o));
  plans.command('create').argument('<name>').requiredOption('--policy <id>', 'the policy (yours or an offering)')
    .option('--resource <id>', 'a resource to protect (repeatable)', collect)
    .option('--bank <id>', 'the bank (default: the only one, or local)').option('--tenant <id>', 'the tenant (needed when you belong to several)')
    .option('--disabled', 'make it without running its schedule').option('--json', 'print JSON')
    .action((name: string, o: Parameters<typeof planCreate>[2]) => planCreate(env, name, o));
  plans.command('update').argument('<id>')
    .option('--add <resource>', 'protect this resource too (repeatable)', collect).option('--remove <resource>', 'stop protecting it (repeatable)', collect)
    .option('--policy <id>').option('--enable').option('--disable').option('--json', 'print JSON')
    .action((id: string, o: Parameters<typeof planUpdate>[2]) => planUpdate(env, id, o));
  plans.command('show').argument('<id>').option('--json', 'print JSON').action((id: string, o: Json) => showOne(env, 'plans', id, o));
  plans.command('delete').argument('<id>').option('--json', 'print JSON').action((id: string, o: Json) => deleteOne(env, 'plans', id, o));

  const ops = program.command('operations').description('operations on the server: backups, restores, deletes, verifications (list without a subcommand)')
    .option('--type <type>', 'backup, restore, delete or verify').option('--state <state>', 'queued, running, succeeded, failed or cancelled').option('--json', 'print JSON')
    .action((o: Json & { type?: string; state?: string }) => operationsList(env, o));
  ops.command('show').description('one operation with its log').argument('<id>').option('--json', 'print JSON').action((id: string, o: Json) => operationShow(env, id, o));
  ops.command('watch').description('follow an operation to its end with a progress bar').argument('<id>').option('--json', 'progress as JSON lines, then the operation')
    .action((id: string, o: Json) => operationWatch(env, id, o));
  ops.command('cancel').argument('<id>').option('--json', 'print JSON').action((id: string, o: Json) => operationCancel(env, id, o));
  addAdminCommands(program, env);
}
