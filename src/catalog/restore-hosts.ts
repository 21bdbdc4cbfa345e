/**
 * Where a checkpoint can be restored, and from which bank. A restore goes to a host of the kind its
 * plugin writes to, at the original's site or at another; it reads from a bank at the host's site
 * that holds the same bank (same uuid: a copy or a replica attached there), so a site that lost its
 * own bank still restores from the copy at the site where the restore runs. With no bank at that
 * site, it reads from the checkpoint's own bank.
 */
import type { Kysely } from 'kysely';
import type { Database, HostKind } from './schema.ts';

/** The host kind whose plugin restores a checkpoint of this manifest type as a new resource. */
export function restoreHostKind(checkpointType: string): HostKind {
  return checkpointType === 'server' ? 'libvirt' : checkpointType === 'files' ? 'files' : 'volumes';
}

export interface SiteBank { id: string; name: string; siteId: string; siteName: string }
export interface RestoreHost { id: string; name: string; kind: HostKind; siteId: string; siteName: string; tenantId: string | null; original: boolean; bank: SiteBank }

interface BankAtSite extends SiteBank { uuid: string }

/** The banks that hold the same bank as `bankId` (itself included), with their sites. */
async function copiesOf(db: Kysely<Database>, bankId: string): Promise<BankAtSite[]> {
  return (await db.selectFrom('banks as b').innerJoin('banks as own', 'own.bank_uuid', 'b.bank_uuid').innerJoin('sites as s', 's.id', 'b.site_id')
    .select(['b.id', 'b.name', 'b.site_id', 's.name as site_name', 'b.bank_uuid']).where('own.id', '=', bankId).orderBy('b.name').execute())
    .map((b) => ({ id: b.id, name: b.name, siteId: b.site_id, siteName: b.site_name, uuid: b.bank_uuid }));
}

function pick(copies: BankAtSite[], bankId: string, siteId: string): SiteBank {
  const own = copies.find((b) => b.id === bankId)!;
  const chosen = own.siteId === siteId ? own : copies.find((b) => b.siteId === siteId) ?? own;
  return { id: chosen.id, name: chosen.name, siteId: chosen.siteId, siteName: chosen.siteName };
}

/** The bank a restore at `siteId` reads the checkpoint of bank `bankId` from. */
export async function bankAtSite(db: Kysely<Database>, bankId: string, siteId: string): Promise<SiteBank> {
  return pick(await copiesOf(db, bankId), bankId, siteId);
}

/**
 * The hosts a checkpoint may be restored to as a new resource: of the kind its plugin needs, and
 * the original's host or one of the checkpoint's tenant's (every host, for an operator, whose own
 * hosts serve any tenant). The original's host comes first, then by site and name.
 */
export async function restoreHosts(db: Kysely<Database>, c: { bankId: string; type: string; tenantId: string | null }, originalHostId: string | undefined, operator: boolean): Promise<RestoreHost[]> {
  let q = db.selectFrom('hosts as h').innerJoin('sites as s', 's.id', 'h.site_id')
    .select(['h.id', 'h.name', 'h.kind', 'h.site_id', 's.name as site_name', 'h.tenant_id'])
    .where('h.kind', '=', restoreHostKind(c.type));
  if (!operator) {
    q = q.where((eb) => eb.or([
      ...(c.tenantId ? [eb('h.tenant_id', '=', c.tenantId)] : []),
      ...(originalHostId ? [eb('h.id', '=', originalHostId)] : []),
    ]));
    if (!c.tenantId && !originalHostId) return [];
  }
  const [hosts, copies] = await Promise.all([q.orderBy('s.name').orderBy('h.name').execute(), copiesOf(db, c.bankId)]);
  return hosts
    .map((h) => ({ id: h.id, name: h.name, kind: h.kind, siteId: h.site_id, siteName: h.site_name, tenantId: h.tenant_id, original: h.id === originalHostId, bank: pick(copies, c.bankId, h.site_id) }))
    .sort((a, b) => Number(b.original) - Number(a.original));
}
