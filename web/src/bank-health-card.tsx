/**
 * A bank's health: whether it answers at its location (and why not), what it holds, damaged
 * checkpoints, the operations running on it, and its last garbage collection and verification, each
 * linking to its operation. "Run GC now" starts a garbage collection and links to it.
 */
import { useState } from 'react';
import type { Client } from './client.ts';
import { formatBytes, formatTime } from './format.ts';
import type { Bank, BankHealth, UpkeepRun } from './infrastructure.ts';
import { Link } from './link.tsx';
import type { Operation } from './types.ts';
import { useAction } from './use-action.ts';

interface Props { client: Client; bank: Bank; health: BankHealth; updatedAt: Date | undefined; onStarted: () => void }

export function BankHealthCard({ client, bank, health: h, updatedAt, onStarted }: Props) {
  const [started, setStarted] = useState<Operation | undefined>();
  const { pending, error, run } = useAction();
  const gc = () => void run(async () => {
    setStarted(await client.post<Operation>(`/v1/banks/${encodeURIComponent(bank.id)}/gc`));
    onStarted();
  });
  return (
    <section className="card" aria-labelledby="bank-health-title">
      <div className="card-head">
        <h2 id="bank-health-title">Health</h2>
        {updatedAt && <span className="muted small">updated {updatedAt.toLocaleTimeString()}</span>}
      </div>
      {h.reachable
        ? <p className="ok-note" data-testid="bank-reachable">Reachable: the bank answers at its location.</p>
        : <p className="error" data-testid="bank-unreachable">Unreachable: {h.reason}</p>}
      <dl className="facts">
        <div><dt>Checkpoints</dt><dd>{h.checkpoints}</dd></div>
        <div><dt>Stored</dt><dd>{formatBytes(h.storedBytes)}</dd></div>
        <div><dt>Damaged checkpoints</dt><dd className={h.damagedCheckpoints > 0 ? 'error-text' : undefined}>{h.damagedCheckpoints}</dd></div>
        <div><dt>Running now</dt><dd>{h.runningOperations}{h.maxOperations === null ? ' (no limit)' : ` of at most ${h.maxOperations}`}</dd></div>
        <div><dt>Last garbage collection</dt><dd><Upkeep run={h.lastGc} /></dd></div>
        <div><dt>Last verification</dt><dd><Upkeep run={h.lastVerify} /></dd></div>
      </dl>
      <button type="button" disabled={pending} onClick={gc}>{pending ? 'Starting…' : 'Run GC now'}</button>
      {started && <p role="status" className="small">Garbage collection started: <Link to={`/operations/${encodeURIComponent(started.id)}`}>follow the operation</Link>.</p>}
      {error && <p className="error" role="alert">Cannot start garbage collection: {error}</p>}
    </section>
  );
}

function Upkeep({ run }: { run: UpkeepRun | null }) {
  if (!run) return <span className="muted">never</span>;
  return (
    <>
      <Link to={`/operations/${encodeURIComponent(run.id)}`}><span className={`state state-${run.state}`}>{run.state}</span></Link>
      {run.finishedAt && <span className="small muted"> {formatTime(run.finishedAt)}</span>}
      {run.error && <div className="small error-text">{run.error}</div>}
    </>
  );
}
