/**
 * The restore wizard for one checkpoint: where to (restore-targets.ts), the plugin's options (a form
 * made from its restore target's JSON schema, GET /v1/protectables), then POST /v1/restores and on to
 * the operation it started. In place asks for an explicit confirmation that names what is overwritten.
 * Viewers may look at the checkpoint but not restore it; another tenant's checkpoint is not found.
 */
import { useCallback, useMemo, useState, type FormEvent } from 'react';
import { ApiError } from './api.ts';
import type { Client } from './client.ts';
import { formatBytes, formatTime } from './format.ts';
import { Link } from './link.tsx';
import { NotFound } from './not-found.tsx';
import { OptionsForm } from './options-form.tsx';
import { RestoreHostChoice } from './restore-host-choice.tsx';
import { DECIDED_BY_TARGET, hostsFor, pluginTypeOf, suggestedName, targetsFor, type RestoreHost, type TargetMode } from './restore-targets.ts';
import { navigate } from './router.ts';
import { fieldsOf, initialValues, parametersOf, type FormValues } from './schema-fields.ts';
import type { Checkpoint, Operation, Protectable, Resource } from './types.ts';
import { usePoll } from './use-poll.ts';

interface Loaded {
  checkpoint: Checkpoint;
  /** Undefined when the resource is no longer in the catalog: it can still be restored as a new one. */
  resource: Resource | undefined;
  schema: Record<string, unknown>;
}

const never = () => 24 * 3600_000;

export function RestorePage({ client, checkpointId, mayAct }: { client: Client; checkpointId: string; mayAct: (tenantId: string | null) => boolean }) {
  const load = useCallback(async (signal: AbortSignal): Promise<Loaded> => {
    const checkpoint = await client.get<Checkpoint>(`/v1/checkpoints/${encodeURIComponent(checkpointId)}`, signal);
    const [resource, protectables] = await Promise.all([
      checkpoint.resourceId === null ? undefined : client.get<Resource>(`/v1/resources/${encodeURIComponent(checkpoint.resourceId)}`, signal).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw err;
      }),
      client.get<{ items: Protectable[] }>('/v1/protectables', signal),
    ]);
    const schema = protectables.items.find((p) => p.type === pluginTypeOf(checkpoint.type))?.restoreTargetSchema ?? {};
    return { checkpoint, resource, schema };
  }, [client, checkpointId]);
  // Loaded once: the form must not change under the user's hands.
  const { data, error } = usePoll(load, never);

  if (!data && error instanceof ApiError && error.status === 404) {
    return <NotFound what="Checkpoint" id={checkpointId} back={{ to: '/resources', label: 'See your resources' }} />;
  }
  const c = data?.checkpoint;
  return (
    <>
      <p className="breadcrumb">
        <Link to="/resources">Resources</Link> ›{' '}
        {c?.resourceId && <><Link to={`/resources/${encodeURIComponent(c.resourceId)}`}>{data?.resource?.name ?? 'Resource'}</Link> ›</>}
      </p>
      <h1>Restore {data?.resource ? data.resource.name : 'a checkpoint'}</h1>
      {c && <p className="muted">From the {c.parentRef === null ? 'full' : 'incremental'} checkpoint of {formatTime(c.createdAt)}{c.sourceBytes !== null ? `, ${formatBytes(c.sourceBytes)}` : ''} <span className="mono small">{c.id}</span></p>}
      {error && <p className="error" role="alert">Cannot load the checkpoint: {error.message}</p>}
      {!data && !error && <p className="loading" role="status">Loading…</p>}
      {data && !mayAct(data.checkpoint.tenantId) && <p className="notice" role="status">Your role lets you see this checkpoint, not restore it: ask a member or an admin of the tenant.</p>}
      {data && mayAct(data.checkpoint.tenantId) && data.checkpoint.status !== 'available' && (
        <p className="error" role="alert">This checkpoint is {data.checkpoint.status}: only an available checkpoint can be restored.</p>
      )}
      {data && mayAct(data.checkpoint.tenantId) && data.checkpoint.status === 'available' && <RestoreWhere client={client} loaded={data} />}
    </>
  );
}

/** The hosts a new resource may go to (asked only of someone who may restore), then the form. */
function RestoreWhere({ client, loaded }: { client: Client; loaded: Loaded }) {
  const id = loaded.checkpoint.id;
  const load = useCallback(async (signal: AbortSignal) => (await client.get<{ items: RestoreHost[] }>(`/v1/checkpoints/${encodeURIComponent(id)}/restore-hosts`, signal)).items, [client, id]);
  const { data: hosts, error } = usePoll(load, never);
  if (error) return <p className="error" role="alert">Cannot load where the checkpoint may be restored: {error.message}</p>;
  if (!hosts) return <p className="loading" role="status">Loading where it may be restored…</p>;
  return <RestoreForm client={client} loaded={loaded} hosts={hosts} />;
}

function RestoreForm({ client, loaded: { checkpoint: c, resource, schema }, hosts }: { client: Client; loaded: Loaded; hosts: RestoreHost[] }) {
  const targets = targetsFor(c.type, hostsFor('site', hosts).length > 0).filter((t) => resource || t.mode === 'new' || t.mode === 'site');
  const fields = useMemo(() => fieldsOf(schema, DECIDED_BY_TARGET), [schema]);
  const [mode, setMode] = useState<TargetMode>('new');
  const [name, setName] = useState(suggestedName(resource?.name));
  const [overwrite, setOverwrite] = useState(false);
  const choices = hostsFor(mode, hosts);
  const [picked, setPicked] = useState<string | undefined>();
  // The picked host while it is one of this target's; else the target's first (the original's host first).
  const hostId = choices.find((h) => h.id === picked)?.id ?? choices[0]?.id;
  const newOne = mode === 'new' || mode === 'site';
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<string | undefined>();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const { parameters, errors: found } = parametersOf(fields, values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setPending(true);
    setFailure(undefined);
    try {
      // The original's host is the API's default: named only when it is another.
      const elsewhere = hostId !== undefined && !choices.find((h) => h.id === hostId)?.original;
      const target = newOne ? { mode: 'new', name: name.trim(), ...(elsewhere ? { hostId } : {}) } : { mode };
      const op = await client.post<Operation>('/v1/restores', { checkpointId: c.id, target, parameters });
      navigate(`/operations/${encodeURIComponent(op.id)}`);
    } catch (err) {
      setFailure((err as Error).message);
      setPending(false);
    }
  }

  const ready = !pending && (!newOne || name.trim() !== '') && (mode !== 'site' || hostId !== undefined) && (mode !== 'in-place' || overwrite);
  return (
    <form className="card restore-form" aria-label="Restore" onSubmit={(e) => void submit(e)}>
      <fieldset>
        <legend>Restore to</legend>
        {targets.map((t) => (
          <label key={t.mode} className="choice">
            <input type="radio" name="target" value={t.mode} checked={mode === t.mode} onChange={() => { setMode(t.mode); setOverwrite(false); }} />
            <span><strong>{t.label}</strong> <span className="muted small">{t.hint}</span></span>
          </label>
        ))}
      </fieldset>
      {newOne && choices.length > 0 && (mode === 'site' || choices.length > 1) && <RestoreHostChoice hosts={choices} value={hostId} onChange={setPicked} />}
      {newOne && (
        <div className="option">
          <label htmlFor="restore-name">Name</label>
          <input id="restore-name" required aria-describedby="restore-name-help" value={name} onChange={(e) => setName(e.target.value)} />
          <p id="restore-name-help" className="small muted">Letters, digits, dot, dash and underscore. A volume named .qcow2 is made as qcow2, any other as raw, unless the format below says otherwise.</p>
        </div>
      )}
      {mode === 'in-place' && resource && (
        <div className="confirm">
          <p>Everything on <strong>{resource.name}</strong> (<span className="mono">{resource.externalId}</span>) that differs from the checkpoint of {formatTime(c.createdAt)} is overwritten. It must not be in use.</p>
          <label className="choice">
            <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} />
            <span>Overwrite {resource.name}</span>
          </label>
        </div>
      )}
      <fieldset>
        <legend>Options</legend>
        <OptionsForm fields={fields} values={values} errors={errors} onChange={(n, v) => setValues((old) => ({ ...old, [n]: v }))} />
      </fieldset>
      {failure && <p className="error" role="alert">Cannot restore: {failure}</p>}
      <p>
        <button type="submit" className={mode === 'in-place' ? 'danger' : 'primary'} disabled={!ready}>
          {pending ? 'Starting…' : mode === 'in-place' ? `Overwrite ${resource?.name ?? ''} and restore` : 'Start the restore'}
        </button>
      </p>
    </form>
  );
}
