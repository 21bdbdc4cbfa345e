/**
 * One bank for operators (/admin/banks/{id}): where it is, its health (GET /v1/banks/{id}/health:
 * reachable, what it holds, its last upkeep), garbage collection now, its upkeep schedules and how
 * many operations may run on it at once. Its passphrase is never shown: the API never gives it out.
 */
import { useCallback } from 'react';
import type { Client } from './client.ts';
import { BankHealthCard } from './bank-health-card.tsx';
import { formatTime } from './format.ts';
import { HealthBadge } from './health-badge.tsx';
import { bankHealth, type Bank, type BankHealth } from './infrastructure.ts';
import { bankHealthOf, loadInfrastructure, nameOf } from './infrastructure-data.ts';
import { Link } from './link.tsx';
import { MaintenanceForm } from './maintenance-form.tsx';
import { MaxOperationsForm } from './max-operations-form.tsx';
import { NotFound } from './not-found.tsx';
import { OperatorsOnly, refusedToOperators } from './operators-only.tsx';
import { usePoll } from './use-poll.ts';

interface Loaded { bank: Bank | undefined; siteName: string | undefined; health: BankHealth | undefined }

// While its upkeep runs, the health follows it closely; else every 30 s.
const upkeepRunning = (h: BankHealth | undefined) => [h?.lastGc?.state, h?.lastVerify?.state].some((s) => s === 'queued' || s === 'running');
const refreshDelay = (d: Loaded | undefined) => (upkeepRunning(d?.health) ? 2_000 : 30_000);

export function BankPage({ client, id }: { client: Client; id: string }) {
  const load = useCallback(async (signal: AbortSignal): Promise<Loaded> => {
    const infra = await loadInfrastructure(client, signal, false);
    const bank = infra.banks.find((b) => b.id === id);
    return { bank, siteName: bank && nameOf(infra.sites, bank.siteId), health: bank && await bankHealthOf(client, bank.id, signal) };
  }, [client, id]);
  const { data, error, updatedAt, refresh } = usePoll(load, refreshDelay);
  if (refusedToOperators(error)) return <OperatorsOnly what="Banks" />;
  if (data && !data.bank) return <NotFound what="Bank" id={id} back={{ to: '/admin/sites', label: 'See the sites' }} />;
  const bank = data?.bank;
  const path = `/v1/banks/${encodeURIComponent(id)}`;
  return (
    <>
      <p className="breadcrumb"><Link to="/admin/sites">Sites</Link> ›</p>
      <h1>{bank ? bank.name : 'Bank'} {data?.health && <HealthBadge health={bankHealth(data.health)} />}</h1>
      {error && <p className="error" role="alert">Cannot {data ? 'refresh' : 'load'} the bank: {error.message}</p>}
      {!data && !error && <p className="loading" role="status">Loading…</p>}
      {bank && data && (
        <>
          <section className="card" aria-labelledby="bank-facts-title">
            <h2 id="bank-facts-title">Bank</h2>
            <dl className="facts">
              <div><dt>Site</dt><dd>{data.siteName ?? bank.siteId}</dd></div>
              <div><dt>Location</dt><dd className="mono small">{bank.location}</dd></div>
              <div><dt>Bank id</dt><dd className="mono small">{bank.bankUuid}</dd></div>
              <div><dt>Attached</dt><dd>{formatTime(bank.createdAt)}</dd></div>
            </dl>
          </section>
          {data.health && <BankHealthCard client={client} bank={bank} health={data.health} updatedAt={updatedAt} onStarted={refresh} />}
          <section className="card" aria-labelledby="bank-upkeep-title">
            <h2 id="bank-upkeep-title">Upkeep</h2>
            <MaintenanceForm key={JSON.stringify(bank.maintenance)} client={client} path={path} maintenance={bank.maintenance} onSaved={refresh} />
          </section>
          <section className="card" aria-labelledby="bank-limit-title">
            <h2 id="bank-limit-title">Concurrency</h2>
            <MaxOperationsForm key={String(bank.maxOperations)} client={client} path={path} what="bank" current={bank.maxOperations} onSaved={refresh} />
          </section>
        </>
      )}
    </>
  );
}
