/**
 * The dashboard's "Storage used": what the tenant's checkpoints added to their banks over the last 7,
 * 30 or 90 days (GET /v1/usage?tenantId=&from=), as an SVG area chart drawn here, one point an hour
 * (a week) or a day (longer), refreshed every minute. The chart is one image with a name that says the
 * gist; the values themselves are in a table that only screen readers see.
 */
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import type { Client } from './client.ts';
import { formatBytes, formatTime } from './format.ts';
import type { Tenant } from './types.ts';
import { bucketOf, byteTickLabel, byteTicks, dayTicks, PERIODS, tickDaysOf, usageSeries, type Bucket, type PeriodDays, type UsagePoint, type UsageRow } from './usage-series.ts';
import { usePoll } from './use-poll.ts';

interface Loaded {
  days: PeriodDays;
  from: number;
  to: number;
  bucket: Bucket;
  points: UsagePoint[];
}

const DAY_MS = 86_400_000;
const refreshDelay = () => 60_000;
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const tickFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const whenOf = (p: UsagePoint, bucket: Bucket) => (bucket === 'hour' ? formatTime(new Date(p.at).toISOString()) : dayFormat.format(p.at));
const checkpointsText = (n: number) => `${n} checkpoint${n === 1 ? '' : 's'}`;

export function StorageUsage({ client, tenant }: { client: Client; tenant: Tenant }) {
  const [days, setDays] = useState<PeriodDays>(7);
  const load = useCallback(async (signal: AbortSignal): Promise<Loaded> => {
    const to = Date.now();
    const from = to - days * DAY_MS;
    const page = await client.get<{ items: UsageRow[] }>(`/v1/usage?tenantId=${encodeURIComponent(tenant.id)}&from=${new Date(from).toISOString()}`, signal);
    const bucket = bucketOf(days);
    return { days, from, to, bucket, points: usageSeries(page.items, bucket) };
  }, [client, tenant.id, days]);
  const usage = usePoll(load, refreshDelay);
  const data = usage.data;

  return (
    <section className="card" aria-labelledby="usage-title" aria-busy={!data || data.days !== days}>
      <div className="card-head">
        <h2 id="usage-title">Storage used</h2>
        <fieldset className="period">
          <legend className="visually-hidden">Period</legend>
          {PERIODS.map((d) => (
            <label key={d} className="check">
              <input type="radio" name="usage-period" value={d} checked={days === d} onChange={() => setDays(d)} /> {d} days
            </label>
          ))}
        </fieldset>
      </div>
      <p className="muted small">What {tenant.name}'s checkpoints added to their banks (new data, compressed and encrypted), as sampled {data?.bucket === 'day' ? 'at the end of each day' : 'each hour'}.</p>
      {usage.error && <p className="error" role="alert">Cannot load the usage: {usage.error.message}</p>}
      {!data && !usage.error && <p className="loading">Loading…</p>}
      {data && data.points.length === 0 && (
        <p className="empty-note" data-testid="usage-empty">
          No usage recorded yet in the last {data.days} days: usage is sampled after every backup and delete and every 30 seconds
          (the server's default), from the first backup that makes a checkpoint on.
        </p>
      )}
      {data && data.points.length > 0 && <UsageChart data={data} tenantName={tenant.name} />}
    </section>
  );
}

/** The width the chart has on screen, so that it is drawn at that size and its labels keep their size. */
function useWidth(fallback: number): [RefObject<HTMLElement | null>, number] {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const observer = new ResizeObserver(([entry]) => { if (entry && entry.contentRect.width > 0) setWidth(Math.round(entry.contentRect.width)); });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

const HEIGHT = 220;
const MARGIN = { left: 64, right: 12, top: 10, bottom: 26 };

function UsageChart({ data, tenantName }: { data: Loaded; tenantName: string }) {
  const [ref, width] = useWidth(720);
  const { from, to, bucket, points } = data;
  const last = points.at(-1)!;
  const peak = points.reduce((a, b) => (b.storedBytes > a.storedBytes ? b : a));
  const yTicks = byteTicks(peak.storedBytes);
  const top = yTicks.at(-1)!;
  const plotWidth = Math.max(width - MARGIN.left - MARGIN.right, 10);
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (at: number) => MARGIN.left + ((at - from) / (to - from)) * plotWidth;
  const y = (bytes: number) => MARGIN.top + (1 - bytes / top) * plotHeight;
  const line = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(p.storedBytes).toFixed(1)}`).join(' ');
  const area = `${line} L${x(last.at).toFixed(1)},${y(0)} L${x(points[0]!.at).toFixed(1)},${y(0)} Z`;
  const xTicks = dayTicks(from, to, tickDaysOf(data.days));
  const name = `Storage used by ${tenantName} over the last ${data.days} days: ${formatBytes(last.storedBytes)} on ${whenOf(last, bucket)}`
    + `${peak !== last ? `, at most ${formatBytes(peak.storedBytes)} on ${whenOf(peak, bucket)}` : ''}.`;

  return (
    <figure className="usage-chart" ref={ref}>
      <p className="usage-now">
        <span className="big" data-testid="usage-latest">{formatBytes(last.storedBytes)}</span>
        in {checkpointsText(last.checkpoints)}, {bucket === 'hour' ? 'in the hour from' : 'on'} {whenOf(last, bucket)}
      </p>
      <svg width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={name}>
        <g className="grid" aria-hidden="true">
          {yTicks.map((b) => (
            <g key={b}>
              <line x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={y(b)} y2={y(b)} />
              <text x={MARGIN.left - 6} y={y(b)} dy="0.32em" textAnchor="end">{byteTickLabel(b, yTicks[1]!)}</text>
            </g>
          ))}
          {xTicks.map((t) => (
            <g key={t}>
              <line className="tick" x1={x(t)} x2={x(t)} y1={MARGIN.top + plotHeight} y2={MARGIN.top + plotHeight + 4} />
              <text x={x(t)} y={MARGIN.top + plotHeight + 17} textAnchor="middle">{tickFormat.format(t)}</text>
            </g>
          ))}
          <line className="axis" x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={y(0)} y2={y(0)} />
        </g>
        <path className="area" d={area} />
        <path className="line" d={line} />
        {points.map((p) => (
          <circle key={p.at} className="point" cx={x(p.at)} cy={y(p.storedBytes)} r={points.length > 60 ? 2 : 3.5} data-bytes={p.storedBytes} data-at={new Date(p.at).toISOString()}>
            <title>{`${whenOf(p, bucket)}: ${formatBytes(p.storedBytes)} in ${checkpointsText(p.checkpoints)}`}</title>
          </circle>
        ))}
      </svg>
      <table className="visually-hidden">
        <caption>Storage used by {tenantName}, {bucket === 'hour' ? 'per hour' : 'per day'}, over the last {data.days} days</caption>
        <thead><tr><th scope="col">{bucket === 'hour' ? 'Hour' : 'Day'}</th><th scope="col">Stored</th><th scope="col">Checkpoints</th></tr></thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.at}><th scope="row">{whenOf(p, bucket)}</th><td>{formatBytes(p.storedBytes)}</td><td>{p.checkpoints}</td></tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
