/**
 * A tenant's members with their roles (GET /v1/tenants/{id}/members). Those who may manage them
 * (operators, the tenant's admins) change a role (PUT …/members/{userId}) and remove a member after
 * confirming (DELETE). Adding someone needs their account, which only operators may list (GET
 * /v1/users): with `users`, a form adds one of them.
 */
import { useCallback } from 'react';
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
  /** Accounts to add from (operators); undefined: this user cannot list them. */
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
              {data.map((m) => <MemberRow key={m.userId} client={client} path={path} member={m} canManage={canManage} self={m.userId === meId} tenantName={tenantName} onChanged={refresh} />)}
            </tbody>
          </table>
        </div>
      )}
      {canManage && data && outside && <MemberForm client={client} path={path} users={outside} onAdded={refresh} />}
    </section>
  );
}

interface RowProps { client: Client; path: string; member: Member; canManage: boolean; self: boolean; tenantName: string; onChanged: () => void }

function MemberRow({ client, path, member, canManage, self, tenantName, onChanged }: RowProps) {
  const { pending, error, run } = useAction();
  const nameId = `member-${member.userId}`;
  const url = `${path}/${encodeURIComponent(member.userId)}`;
  const setRole = (role: TenantRole) => run(async () => { await client.put(url, { role }); onChanged(); });

  return (
    <tr data-user-id={member.userId}>
      <td id={nameId}>{member.username}{self && <span className="tag">you</span>}</td>
      <td>
        {canManage
          ? (
            <label>
              <span className="visually-hidden">Role of {member.username}</span>
              <select value={member.role} disabled={pending} onChange={(e) => void setRole(e.target.value as TenantRole)}>
                {ROLES.map((r) => <option key={r.role} value={r.role}>{r.role}</option>)}
              </select>
            </label>
          )
          : member.role}
        {error && <p className="error-text small" role="alert">Cannot change the role: {error}</p>}
      </td>
      {canManage && (
        <td className="actions">
          <ConfirmButton
            label="Remove…" describedBy={nameId} yes="Remove" no="Keep" failure="Cannot remove the member"
            question={self
              ? <>Remove yourself from {tenantName}? You will no longer see it.</>
              : <>Remove {member.username} from {tenantName}? Their account stays; they no longer see this tenant.</>}
            action={async () => { await client.delete(url); onChanged(); }}
          />
        </td>
      )}
    </tr>
  );
}
