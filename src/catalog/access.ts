/**
 * Accounts and API tokens: the operator account made on first start, sign-in by password, and
 * bearer tokens, stored as hashes only, revocable and with an expiry.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Database, TenantRole } from './schema.ts';

/** Who a request acts as. */
export interface Principal {
  userId: string;
  username: string;
  operator: boolean;
  tenants: { tenantId: string; role: TenantRole }[];
  tokenId: string;
}

export const ADMIN = 'admin';
const TOKEN_PREFIX = 'cairn_';
/** Tokens from a sign-in last this long unless asked otherwise. */
export const DEFAULT_TOKEN_TTL_SECONDS = 12 * 3600;

/**
 * Creates the operator account `admin` when the catalog has no operator yet. Its password is the one
 * given (CAIRN_ADMIN_PASSWORD), else a generated one, returned so that it is shown once.
 */
export async function ensureAdmin(db: Kysely<Database>, password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
  const existing = await db.selectFrom('users').select('id').where('operator', '=', true).limit(1).executeTakeFirst();
  if (existing) return { created: false };
  const generated = password === undefined ? randomBytes(18).toString('base64url') : undefined;
  const inserted = await db.insertInto('users')
    .values({ id: randomUUID(), username: ADMIN, password_hash: await hashPassword(password ?? generated!), operator: true, disabled_at: null })
    .onConflict((c) => c.column('username').doNothing()) // another node made it meanwhile
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return { created: false };
  return generated ? { created: true, generatedPassword: generated } : { created: true };
}

// Compared against when the user does not exist, so a wrong name costs as long as a wrong password.
let decoy: Promise<string> | undefined;

/** The user whose name and password these are (and who is not disabled), else undefined. */
export async function signIn(db: Kysely<Database>, username: string, password: string): Promise<{ id: string } | undefined> {
  const user = await db.selectFrom('users').select(['id', 'password_hash', 'disabled_at']).where('username', '=', username).executeTakeFirst();
  if (!user) {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    await verifyPassword(password, await decoy);
    return undefined;
  }
  if (!(await verifyPassword(password, user.password_hash)) || user.disabled_at) return undefined;
  return { id: user.id };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function issueToken(db: Kysely<Database>, userId: string, options: { name: string; ttlSeconds?: number }): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = randomUUID();
  const expiresAt = new Date(Date.now() + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS) * 1000);
  await db.insertInto('api_tokens').values({
    id, user_id: userId, token_hash: hashToken(token), name: options.name, expires_at: expiresAt, revoked_at: null, last_used_at: null,
  }).execute();
  return { id, token, expiresAt };
}

/** The principal of a bearer token that exists, is not revoked or expired, and whose user is not disabled. */
export async function principalOf(db: Kysely<Database>, token: string): Promise<Principal | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const row = await db.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id as tokenId', 'api_tokens.expires_at', 'api_tokens.revoked_at', 'users.id as userId', 'users.username', 'users.operator', 'users.disabled_at'])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.revoked_at || row.disabled_at || (row.expires_at && row.expires_at.getTime() <= Date.now())) return undefined;
  const tenants = await db.selectFrom('memberships').select(['tenant_id as tenantId', 'role']).where('user_id', '=', row.userId).execute();
  return { userId: row.userId, username: row.username, operator: row.operator, tenants, tokenId: row.tokenId };
}

/** Revokes one of the user's tokens; false when the user has no such token. */
export async function revokeToken(db: Kysely<Database>, userId: string, tokenId: string): Promise<boolean> {
  const r = await db.updateTable('api_tokens').set({ revoked_at: new Date() })
    .where('id', '=', tokenId).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
