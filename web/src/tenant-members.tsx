/**
 * A tenant's members with their roles (GET /v1/tenants/{id}/members). Those who may manage them
 * (operators, the tenant's admins) add an account, change a role, picked then saved so that arrowing
 * through the list changes nothing (PUT …/members/{userId}), and remove a member after confirming
 * (DELETE).
 */
import { useCallback, useState } from 'react';
import type { Client } from './client.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { MemberForm } from './member-form.tsx';
import { ROLES } from './role.ts';
import type { Member, TenantRole, User } from './types.ts';
import { useAction } from './use-action.ts';
import { usePoll } from './use-poll.ts';

interface Props {
  client: Client;
  tenantId: string;
  tenantName: string;
  canManage: boolean;
  /** Accounts to add from (operators); undefined: this user cannot list them, and types a username. */
  users: User[] | undefined;
  /** The signed-in user, warned before taking away their own access. */
  meId: string;
}

const refreshDelay = () => 30_000;

export function TenantMembers({ client, tenantId, tenantName, canManage, users, meId }: Props) {
  const path = `/v1/tenants/${encodeURIComponent(tenantId)}/members`;
  const load = useCallback(async (signal: AbortSignal) => (await client.get<{ items: Member[] }>(path, signal)).items, [client, path]);
  const { data, error, refresh } = usePoll(load, refreshDelay);
  const outside = users?.filter((u) => !data?.some((m) => m.userId === u.id));

  return (
    <section className="card" aria-labelledby="members-title" aria-busy={!data}>
      <h2 id="members-title">Members</h2>
      {error && <p className="error" role="alert">Cannot load the members: {error.message}</p>}
      {!data && !error && <p className="loading" role="status">Loading…</p>}
      {data?.length === 0 && <p className="empty-note">No members yet: nobody but the operators sees {tenantName}.</p>}
      {data && data.length > 0 && (
        <div className="table-wrap">
          <table className="operations" aria-label="Members">
            <thead><tr><th>Username</th><th>Role</th>{canManage && <th>Actions</th>}</tr></thead>
            <tbody>
              {data.map((m) => <MemberRow key={`${m.userId} ${m.role}`} client={client} path={path} member={m} canManage={canManage} self={m.userId === meId} tenantName={tenantName} onChanged={refresh} />)}
            </tbody>
          </table>
        </div>
      )}
      {canManage && data && <MemberForm client={client} path={path} users={outside} onAdded={refresh} />}
    </section>
  );
}

interface RowProps { client: Client; path: string; member: Member; canManage: boolean; self: boolean; tenantName: string; onChanged: () => void }

function MemberRow({ client, path, member, canManage, self, tenantName, onChanged }: RowProps) {
  const [role, setRole] = useState<TenantRole>(member.role);
  const { pending, error, run } = useAction();
  const nameId = `member-${member.userId}`;
  const url = `${path}/${encodeURIComponent(member.userId)}`;
  // A change to one's own membership changes what the console may show: it starts again, reading /v1/me anew.
  const changed = () => (self ? location.assign('/') : onChanged());
  const save = () => run(async () => { await client.put(url, { role }); changed(); });

  return (
    <tr data-user-id={member.userId}>
      <td id={nameId}>{member.username}{self && <span className="tag">you</span>}</td>
      <td>
        {canManage
          ? (
            <span className="add-to-plan">
              <label>
                <span className="visually-hidden">Role of {member.username}</span>
                <select value={role} disabled={pending} onChange={(e) => setRole(e.target.value as TenantRole)}>
                  {ROLES.map((r) => <option key={r.role} value={r.role}>{r.role}</option>)}
                </select>
              </label>
              {role !== member.role && (
                <button type="button" className="quiet" disabled={pending} aria-describedby={nameId} onClick={() => void save()}>{pending ? 'Saving…' : 'Save role'}</button>
              )}
            </span>
          )
          : member.role}
        {self && member.role === 'admin' && role !== 'admin' && <p className="warn small">You will no longer manage {tenantName}'s members.</p>}
        {error && <p className="error-text small" role="alert">Cannot change the role: {error}</p>}
      </td>
      {canManage && (
        <td className="actions">
          <ConfirmButton
            label="Remove…" describedBy={nameId} yes="Remove" no="Keep" failure="Cannot remove the member"
            question={self
              ? <>Remove yourself from {tenantName}? You will no longer see it.</>
              : <>Remove {member.username} from {tenantName}? Their account stays; they no longer see this tenant.</>}
            action={async () => { await client.delete(url); changed(); }}
          />
        </td>
      )}
    </tr>
  );
}
