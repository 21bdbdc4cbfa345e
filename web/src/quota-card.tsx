/**
 * A tenant's quota beside what it uses now (GET /v1/tenants/{id}/quota): resources its plans protect,
 * checkpoints it holds, bytes those stored, each with a meter when it has a limit. Operators set the
 * limits below it (PUT …/quota).
 */
import { useCallback } from 'react';
import type { Client } from './client.ts';
import { formatBytes } from './format.ts';
import { QuotaForm } from './quota-form.tsx';
import type { QuotaUse } from './types.ts';
import { usePoll } from './use-poll.ts';

const refreshDelay = () => 30_000;

export function QuotaCard({ client, tenantId, canSet }: { client: Client; tenantId: string; canSet: boolean }) {
  const path = `/v1/tenants/${encodeURIComponent(tenantId)}/quota`;
  const load = useCallback((signal: AbortSignal) => client.get<QuotaUse>(path, signal), [client, path]);
  const { data, error, refresh } = usePoll(load, refreshDelay);

  return (
    <section className="card" aria-labelledby="quota-title" aria-busy={!data}>
      <h2 id="quota-title">Quota</h2>
      {error && <p className="error" role="alert">Cannot load the quota: {error.message}</p>}
      {!data && !error && <p className="loading" role="status">Loading…</p>}
      {data && (
        <dl className="quota-use">
          <QuotaMeter label="Resources" used={data.usage.resources} limit={data.quota.maxResources} show={String} />
          <QuotaMeter label="Checkpoints" used={data.usage.checkpoints} limit={data.quota.maxCheckpoints} show={String} />
          <QuotaMeter label="Stored" used={data.usage.storedBytes} limit={data.quota.maxStoredBytes} show={formatBytes} />
        </dl>
      )}
      {canSet && data && <QuotaForm client={client} path={path} quota={data.quota} onSaved={refresh} />}
    </section>
  );
}

function QuotaMeter({ label, used, limit, show }: { label: string; used: number; limit: number | null; show: (n: number) => string }) {
  const share = limit === null ? undefined : limit === 0 ? 1 : Math.min(1, used / limit);
  return (
    <div data-testid={`quota-${label.toLowerCase()}`}>
      <dt>{label}</dt>
      <dd>
        {show(used)} {limit === null ? <span className="muted">· no limit</span> : <>of {show(limit)}</>}
        {share !== undefined && (
          <div className={`meter quota${share >= 1 ? ' full' : share >= 0.8 ? ' near' : ''}`} role="meter" aria-label={`${label} used`}
            aria-valuemin={0} aria-valuemax={limit ?? 0} aria-valuenow={used} aria-valuetext={`${show(used)} of ${show(limit ?? 0)}`}>
            <span style={{ width: `${share * 100}%` }} />
          </div>
        )}
      </dd>
    </div>
  );
}
