/**
 * The administration commands against a Cairn server: sites, hosts, banks, tenants, users and usage.
 * Most are the operators'; a tenant's admins manage its members and everyone reads their own usage.
 * A site, host, bank or tenant is named by its id or its name.
 */
import { Option, type Command } from 'commander';
import { HOST_KINDS } from '../core/plugin.ts';
import type { CliEnvironment } from './context.ts';
import { siteCreate, sitesList } from './commands/remote-admin-sites.ts';
import { hostAdd, hostDiscover, hostRelease, hostSet, hostsList, type HostAddOptions } from './commands/remote-admin-hosts.ts';
import { bankGc, bankHealth, banksList, bankSet, type BankSetOptions } from './commands/remote-admin-banks.ts';
import { tenantAddMember, tenantCreate, tenantMembers, tenantRemoveMember, tenantsList } from './commands/remote-admin-tenants.ts';
import { tenantQuota, type QuotaOptions } from './commands/remote-admin-quota.ts';
import { userCreate, usersList } from './commands/remote-admin-users.ts';
import { usageCommand, type UsageOptions } from './commands/remote-admin-usage.ts';

type Json = { json?: boolean };
const ROLES = ['admin', 'member', 'viewer'];

export function addAdminCommands(program: Command, env: CliEnvironment): void {
  const sites = program.command('sites').description('sites on the server, where banks and hosts are (operators; list without a subcommand)')
    .option('--json', 'print JSON').action((o: Json) => sitesList(env, o));
  sites.command('create').argument('<name>').option('--json', 'print JSON').action((name: string, o: Json) => siteCreate(env, name, o));

  const hosts = program.command('hosts').description('hosts on the server: where resources are found, with discovery, agents and limits (operators; list without a subcommand)')
    .option('--json', 'print JSON').action((o: Json) => hostsList(env, o));
  hosts.command('add').description('register a host; then find its resources with cairn hosts discover').argument('<name>')
    .addOption(new Option('--kind <kind>', 'what is there').choices(HOST_KINDS).makeOptionMandatory())
    .requiredOption('--location <location>', 'a libvirt URI, a directory of volumes, a QMP socket, or a directory of file roots')
    .option('--site <site>', 'its site, by id or name (default: the only one)').option('--tenant <tenant>', 'the tenant that owns what is found there, by id or name')
    .option('--json', 'print JSON').action((name: string, o: HostAddOptions) => hostAdd(env, name, o));
  hosts.command('discover').description('find the resources of a host now').argument('<host>', 'its id or name').option('--json', 'print JSON')
    .action((h: string, o: Json) => hostDiscover(env, h, o));
  hosts.command('set').description('how many operations may run on a host at once, across the cluster').argument('<host>', 'its id or name')
    .option('--max-operations <n>', '1 to 256, or none for no limit').option('--json', 'print JSON')
    .action((h: string, o: Json & { maxOperations?: string }) => hostSet(env, h, o));
  hosts.command('release').description('give a host whose agents are stopped back to the servers and plain workers').argument('<host>', 'its id or name').option('--json', 'print JSON')
    .action((h: string, o: Json) => hostRelease(env, h, o));

  const banks = program.command('banks').description('the server\'s banks, with their health and upkeep (operators; list without a subcommand; cairn bank works on a bank directly)')
    .option('--json', 'print JSON').action((o: Json) => banksList(env, o));
  banks.command('health').description('whether a bank answers at its location, what it holds, its last upkeep').argument('<bank>', 'its id or name').option('--json', 'print JSON')
    .action((b: string, o: Json) => bankHealth(env, b, o));
  banks.command('set').description('a bank\'s upkeep schedules and limit; what is not given is kept').argument('<bank>', 'its id or name')
    .option('--max-operations <n>', '1 to 256, or none for no limit')
    .option('--gc-schedule <when>', 'cron or a calendar form, e.g. "weekly on sun at 04:00"; none: by hand only')
    .option('--verify-schedule <when>', 'as --gc-schedule').option('--time-zone <zone>', 'IANA time zone of both schedules (default UTC)')
    .option('--json', 'print JSON').action((b: string, o: BankSetOptions) => bankSet(env, b, o));
  banks.command('gc').description('delete the bank\'s data no checkpoint needs, now (an operation)').argument('<bank>', 'its id or name')
    .option('--wait', 'follow the operation to its end').option('--json', 'print JSON (with --wait, progress as JSON lines on stderr)')
    .action((b: string, o: Json & { wait?: boolean }) => bankGc(env, b, o));

  const tenants = program.command('tenants').description('tenants you may see, their members and quotas (list without a subcommand)')
    .option('--json', 'print JSON').action((o: Json) => tenantsList(env, o));
  tenants.command('create').description('make a tenant (operators)').argument('<name>').option('--json', 'print JSON').action((name: string, o: Json) => tenantCreate(env, name, o));
  tenants.command('members').description('who belongs to a tenant, with their roles').argument('<tenant>', 'its id or name').option('--json', 'print JSON')
    .action((t: string, o: Json) => tenantMembers(env, t, o));
  tenants.command('add-member').description('give an account a role in a tenant, or change its role (tenant admins, operators)').argument('<tenant>', 'its id or name').argument('<username>')
    .addOption(new Option('--role <role>', 'viewer reads; member also acts; admin also manages members').choices(ROLES).makeOptionMandatory()).option('--json', 'print JSON')
    .action((t: string, u: string, o: Json & { role: string }) => tenantAddMember(env, t, u, o));
  tenants.command('remove-member').description('take an account out of a tenant (tenant admins, operators)').argument('<tenant>', 'its id or name').argument('<username>')
    .option('--json', 'print JSON').action((t: string, u: string, o: Json) => tenantRemoveMember(env, t, u, o));
  tenants.command('quota').description('a tenant\'s quota and what it uses; with a flag, set those limits (operators)').argument('<tenant>', 'its id or name')
    .option('--max-resources <n>', 'resources its plans may protect; none for no limit').option('--max-checkpoints <n>', 'checkpoints it may hold; none for no limit')
    .option('--max-stored <size>', 'bytes its checkpoints may add to banks, e.g. 500GiB or 2TB; none for no limit').option('--json', 'print JSON')
    .action((t: string, o: QuotaOptions) => tenantQuota(env, t, o));

  const users = program.command('users').description('accounts on the server (operators; list without a subcommand)')
    .option('--json', 'print JSON').action((o: Json) => usersList(env, o));
  users.command('create').description('make an account; its password is asked for, or read from --password-file').argument('<username>')
    .option('--operator', 'an operator, who runs the service and sees every tenant')
    .option('--password-file <file>', 'read the password from a file; - for standard input (never give it on the command line)').option('--json', 'print JSON')
    .action((u: string, o: Json & { operator?: boolean; passwordFile?: string }) => userCreate(env, u, o));

  program.command('usage').description('usage per tenant, resource and hour (operators: every tenant; members: theirs)')
    .option('--from <date>', 'a day (2026-01-01) or a date and time (default: 30 days before --to)').option('--to <date>', 'a day (counted whole) or a date and time (default: now)')
    .option('--tenant <tenant>', 'only this tenant, by id or name').option('--csv', 'print the server\'s CSV as is, for a spreadsheet').option('--json', 'print JSON')
    .action((o: UsageOptions) => usageCommand(env, o));
}
