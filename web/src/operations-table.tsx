/** Operations as a table: what (a link to its detail), its state, its progress while it runs (or why it failed), and when. */
import { formatBytes, formatDuration, formatTime, TYPE_NAMES } from './format.ts';
import { Link } from './link.tsx';
import type { Operation } from './types.ts';

export function OperationsTable({ operations }: { operations: Operation[] }) {
  return (
    <div className="table-wrap">
      <table className="operations">
        <thead>
          <tr><th scope="col">Operation</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Started</th></tr>
        </thead>
        <tbody>
          {operations.map((o) => (
            <tr key={o.id} data-operation-id={o.id}>
              <td>
                <Link to={`/operations/${encodeURIComponent(o.id)}`}>{TYPE_NAMES[o.type]}</Link>
                {o.scheduled && <span className="tag">scheduled</span>}
                <div className="muted small mono" title="operation id">{o.id}</div>
              </td>
              <td><span className={`state state-${o.state}`}>{o.state}</span></td>
              <td><ProgressCell operation={o} /></td>
              <td>{formatTime(o.startedAt ?? o.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ProgressCell({ operation: o }: { operation: Operation }) {
  if (o.state === 'failed' || o.state === 'cancelled') return <span className="error-text">{o.error ?? o.state}</span>;
  if (o.state === 'queued') return <span className="muted">Waiting for a worker</span>;
  if (o.state === 'succeeded') {
    const took = o.startedAt && o.finishedAt ? (Date.parse(o.finishedAt) - Date.parse(o.startedAt)) / 1000 : undefined;
    return <span className="muted">Done{took !== undefined ? ` in ${formatDuration(took)}` : ''}</span>;
  }
  const p = o.progress;
  const total = p?.totalBytes ?? 0;
  const done = p?.doneBytes ?? 0;
  const label = `${TYPE_NAMES[o.type]} progress`;
  const words = [
    p?.phase ?? p?.step,
    total > 0 ? `${formatBytes(done)} of ${formatBytes(total)}` : undefined,
    p?.rate ? `${formatBytes(p.rate)}/s` : undefined,
    p?.etaSeconds !== undefined ? `${formatDuration(p.etaSeconds)} left` : undefined,
  ].filter(Boolean).join(' · ');
  return (
    <div className="progress">
      {total > 0 ? <progress max={total} value={done} aria-label={label} /> : <progress aria-label={label} />}
      <span className="small">{words || 'Starting'}</span>
    </div>
  );
}
