/**
 * One operation: its state, live progress, times, error and log (GET /v1/operations/{id}), refreshed
 * every second while it is queued or running. An id the API does not show this user (another tenant's,
 * or none) answers 404, and the page says the operation is not found, as the API does.
 */
import { useCallback } from 'react';
import { ApiError } from './api.ts';
import { CancelButton } from './cancel-button.tsx';
import type { Client } from './client.ts';
import { formatTime, TYPE_NAMES } from './format.ts';
import { Link } from './link.tsx';
import { NotFound } from './not-found.tsx';
import { ProgressCell } from './operations-table.tsx';
import type { OperationDetail } from './types.ts';
import { usePoll } from './use-poll.ts';

const ended = (o: OperationDetail | undefined) => o !== undefined && o.state !== 'queued' && o.state !== 'running';
const delay = (o: OperationDetail | undefined) => (ended(o) ? 60_000 : 1_000);

interface Props {
  client: Client;
  id: string;
  mayAct: (tenantId: string | null) => boolean;
}

export function OperationPage({ client, id, mayAct }: Props) {
  const load = useCallback((signal: AbortSignal) => client.get<OperationDetail>(`/v1/operations/${encodeURIComponent(id)}`, signal), [client, id]);
  const { data: op, error, updatedAt, refresh } = usePoll(load, delay);

  if (!op && error instanceof ApiError && error.status === 404) {
    return <NotFound what="Operation" id={id} back={{ to: '/operations', label: 'See your operations' }} />;
  }
  return (
    <>
      <p className="breadcrumb"><Link to="/operations">Operations</Link> ›</p>
      <h1>{op ? TYPE_NAMES[op.type] : 'Operation'} <span className="muted mono small">{id}</span></h1>
      {error && <p className="error" role="alert">Cannot {op ? 'refresh' : 'load'} the operation: {error.message}</p>}
      {!op && !error && <p className="loading" role="status">Loading…</p>}
      {op && (
        <>
          <section className="card" aria-labelledby="op-state-title">
            <div className="card-head">
              <h2 id="op-state-title">State</h2>
              {updatedAt && <span className="muted small">{ended(op) ? '' : 'Live, '}updated {updatedAt.toLocaleTimeString()}</span>}
            </div>
            <dl className="facts">
              <div><dt>State</dt><dd><span data-testid="operation-state" className={`state state-${op.state}`}>{op.state}</span>{op.cancelRequested && !ended(op) && <span className="tag">cancel requested</span>}</dd></div>
              <div><dt>Progress</dt><dd><ProgressCell operation={op} /></dd></div>
              <div><dt>Created</dt><dd>{formatTime(op.createdAt)}{op.scheduled && <span className="tag">scheduled</span>}</dd></div>
              <div><dt>Started</dt><dd>{op.startedAt ? formatTime(op.startedAt) : '—'}</dd></div>
              <div><dt>Finished</dt><dd>{op.finishedAt ? formatTime(op.finishedAt) : '—'}</dd></div>
              {op.attempts > 1 && <div><dt>Attempts</dt><dd>{op.attempts}</dd></div>}
            </dl>
            {op.error && <p className="error" data-testid="operation-error">{op.error}</p>}
            {!ended(op) && !op.cancelRequested && mayAct(op.tenantId) && (
              <CancelButton client={client} operation={op} onCancelled={refresh} />
            )}
          </section>
          <section className="card" aria-labelledby="op-log-title">
            <h2 id="op-log-title">Log</h2>
            {op.log.length === 0
              ? <p className="empty-note">Nothing logged yet.</p>
              : (
                <ol className="log" aria-label="Log lines">
                  {op.log.map((l, i) => (
                    <li key={i} className={`log-${l.level}`}>
                      <time dateTime={l.at} className="muted mono small">{new Date(l.at).toLocaleTimeString()}</time>
                      {l.level !== 'info' && <span className="level">{l.level}</span>}
                      <span className="message">{l.message}</span>
                    </li>
                  ))}
                </ol>
              )}
          </section>
          <details className="card">
            <summary>Request and result</summary>
            <pre className="mono small">{JSON.stringify({ request: op.request, result: op.result }, null, 2)}</pre>
          </details>
        </>
      )}
    </>
  );
}
