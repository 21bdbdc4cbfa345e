/**
 * The catalog's tables as Kysely sees them. The catalog is the control plane's index: who may do
 * what, and what exists. Recovery points live in the banks; the catalog mirrors them.
 */
import type { ColumnType } from 'kysely';

/** A timestamp column: written as a Date (or left to its default), read as a Date. */
type Timestamp = ColumnType<Date, Date | undefined, Date>;

export interface TenantTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface UserTable {
  id: string;
  username: string;
  /** scrypt$<N>$<r>$<p>$<salt b64>$<hash b64> (passwords.ts) */
  password_hash: string;
  /** Operators run the service: every tenant, every host and bank. */
  operator: boolean;
  created_at: Timestamp;
  disabled_at: Date | null;
}

export type TenantRole = 'admin' | 'member' | 'viewer';

export interface MembershipTable {
  user_id: string;
  tenant_id: string;
  role: TenantRole;
}

export interface ApiTokenTable {
  id: string;
  user_id: string;
  /** SHA-256 of the token, hex: the token itself is shown once and never stored. */
  token_hash: string;
  name: string;
  created_at: Timestamp;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface SiteTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface BankTable {
  id: string;
  name: string;
  site_id: string;
  /** A directory path or s3://bucket/prefix. */
  location: string;
  /** The bank's own id (its descriptor's bankId): the same bank attached twice is the same bank. */
  bank_uuid: string;
  /** The bank's passphrase, sealed with the server's master key (secrets.ts); never in plaintext. */
  secret_sealed: string;
  created_at: Timestamp;
}

export interface Database {
  tenants: TenantTable;
  users: UserTable;
  memberships: MembershipTable;
  api_tokens: ApiTokenTable;
  sites: SiteTable;
  banks: BankTable;
}

