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

export type HostKind = 'libvirt' | 'volumes' | 'qsd';

export interface HostTable {
  id: string;
  name: string;
  site_id: string;
  /** What the location is: a libvirt URI, a directory of volumes, a qemu-storage-daemon QMP socket. */
  kind: HostKind;
  location: string;
  /** The tenant that owns what is found there (resources can be given to another one by an operator). */
  tenant_id: string | null;
  created_at: Timestamp;
  discovered_at: Date | null;
  discovery_error: string | null;
}

export interface ResourceTable {
  id: string;
  host_id: string;
  tenant_id: string | null;
  type: string;
  /** The plugin's id of the resource (a domain name, a volume path, qmp-socket#node). */
  external_id: string;
  name: string;
  /** The server a volume belongs to. */
  parent_id: string | null;
  size_bytes: number | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  discovered_at: Timestamp;
  /** Set when a discovery no longer found it. */
  missing_since: Date | null;
}

export interface Database {
  tenants: TenantTable;
  users: UserTable;
  memberships: MembershipTable;
  api_tokens: ApiTokenTable;
  sites: SiteTable;
  banks: BankTable;
  hosts: HostTable;
  resources: ResourceTable;
}

