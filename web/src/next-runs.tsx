/**
 * The next runs of the schedule being written, from POST /v1/schedules/preview (the scheduler's own
 * code, nothing saved), shown as clocks in the schedule's time zone, which is what the form asks for.
 * Asked again a moment after the last keystroke, so typing does not send a request per key.
 */
import { useEffect, useState } from 'react';
import type { Client } from './client.ts';

const SETTLE_MS = 300;

interface Props {
  client: Client;
  schedule: string | null;
  timeZone: string;
  window: { start: string; end: string } | undefined;
}

type Preview = { runs: string[] } | { error: string } | undefined;

export function NextRuns({ client, schedule, timeZone, window }: Props) {
  const [preview, setPreview] = useState<Preview>();
  const start = window?.start, end = window?.end;
  useEffect(() => {
    if (!schedule) return;
    let current = true;
    const timer = setTimeout(() => {
      client.post<{ nextRuns: string[] }>('/v1/schedules/preview', { schedule, timeZone, ...(start && end ? { window: { start, end } } : {}) })
        .then((r) => { if (current) setPreview({ runs: r.nextRuns }); })
        .catch((err: unknown) => { if (current) setPreview({ error: (err as Error).message }); });
    }, SETTLE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, schedule, timeZone, start, end]);

  if (!schedule) return <p className="muted" aria-live="polite">No scheduled backups: this policy's plans are backed up when someone asks.</p>;
  const local = new Intl.DateTimeFormat(undefined, { timeZone, weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return (
    <section className="next-runs" aria-labelledby="next-runs-title" aria-live="polite">
      <h3 id="next-runs-title">Next runs ({timeZone})</h3>
      {preview === undefined && <p className="loading">Working them out…</p>}
      {preview && 'error' in preview && <p className="error-text" role="alert">{preview.error}</p>}
      {preview && 'runs' in preview && preview.runs.length === 0 && <p className="muted">No run in the next ticks: the window excludes them all.</p>}
      {preview && 'runs' in preview && preview.runs.length > 0 && (
        <ol aria-label="Next runs">{preview.runs.map((r) => <li key={r}><time dateTime={r}>{local.format(new Date(r))}</time></li>)}</ol>
      )}
    </section>
  );
}
