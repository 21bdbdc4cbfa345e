/**
 * The catalog's tables as Kysely sees them. The catalog is the control plane's index: who may do
 * what, and what exists. Recovery points live in the banks; the catalog mirrors them.
 */
import type { ColumnType } from 'kysely';
import type { HostKind } from '../core/plugin.ts';

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
  /** Schedules of its garbage collection and verification (banks.ts Maintenance). */
  maintenance: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** Operations running at once on it, across the cluster; null: no limit. */
  max_operations: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Timestamp;
}

export type { HostKind } from '../core/plugin.ts';

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
  /** Operations running at once on it, across the cluster; null: no limit. */
  max_operations: ColumnType<number | null, number | null | undefined, number | null>;
  /** When an agent (`cairn worker --host`) last said it serves it; set: only its agents run its operations. */
  agent_seen_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
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

/** A schedule and a retention: a tenant's own, or an operator's offering (tenant_id null) any tenant may use. */
export interface PolicyTable {
  id: string;
  tenant_id: string | null;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  /** A cron expression (issue 5 runs it); null: manual backups only. */
  schedule: string | null;
  time_zone: ColumnType<string, string | undefined, string>;
  /** keep-last, keep-within, keep-hourly/daily/weekly/monthly/yearly (as the CLI's prune). */
  retention: ColumnType<Record<string, unknown>, string, string>;
  /** Backup options (quiesce, exclude, ...). */
  options: ColumnType<Record<string, unknown>, string, string>;
  /** Window, jitter, full every N or on given days (core/schedule.ts Timing). */
  timing: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Timestamp;
}

/** A tenant's resources protected by a policy into a bank. */
export interface PlanTable {
  id: string;
  tenant_id: string;
  name: string;
  policy_id: string;
  bank_id: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  /** Recovery point objective: null derives it from the policy's schedule. */
  rpo_seconds: number | null;
  /** When webhooks were last told the plan is out of its RPO (cleared once it is back). */
  rpo_alerted_at: Date | null;
  created_at: Timestamp;
}

export interface PlanResourceTable {
  plan_id: string;
  resource_id: string;
}

export type CheckpointStatus = 'protecting' | 'available' | 'error' | 'deleting' | 'missing';

/** The catalog's mirror of a bank's checkpoint (the manifest in the bank is the truth). */
export interface CheckpointTable {
  id: string;
  tenant_id: string | null;
  bank_id: string;
  /** The checkpoint's id in its bank; null while it is being made. */
  bank_ref: string | null;
  resource_id: string | null;
  plan_id: string | null;
  operation_id: string | null;
  name: string;
  type: string;
  parent_ref: string | null;
  status: CheckpointStatus;
  source_bytes: number | null;
  written_bytes: number | null;
  stored_bytes: number | null;
  error: string | null;
  created_at: Timestamp;
  completed_at: Date | null;
  verified_at: Date | null;
  damaged: ColumnType<boolean, boolean | undefined, boolean>;
  /** Never expired by retention. */
  pinned: ColumnType<boolean, boolean | undefined, boolean>;
}

export type OperationType = 'backup' | 'restore' | 'delete' | 'verify' | 'gc';
export type OperationState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A unit of work run by a worker: what was asked, how far it got, and how it ended. */
export interface OperationTable {
  id: string;
  tenant_id: string | null;
  type: OperationType;
  state: OperationState;
  /** What was asked, as the API took it. */
  request: ColumnType<Record<string, unknown>, string, string>;
  /** { phase, doneBytes, totalBytes, rate } as the mover last reported it. */
  progress: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  result: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  error: string | null;
  created_by: string | null;
  /** The queue's job that runs it. */
  job_id: string | null;
  /** The host of its resources (when they are on one), and its bank: what the limits count. */
  host_id: ColumnType<string | null, string | null | undefined, string | null>;
  bank_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** When its current job may start; while queued, the sweep looks at those overdue, and moves on those it finds waiting. */
  due_at: ColumnType<Date, Date | undefined, Date>;
  /** Times it found its host or bank running as many as its limit allows. */
  waits: ColumnType<number, number | undefined, number>;
  /** Unique: what made it when it must be made once (plan:<id>@<tick>). */
  dedupe_key: string | null;
  /** Started by a schedule, not by someone. */
  scheduled: ColumnType<boolean, boolean | undefined, boolean>;
  attempts: ColumnType<number, number | undefined, number>;
  cancel_requested: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface OperationLogTable {
  id: ColumnType<number, never, never>;
  operation_id: string;
  at: Timestamp;
  level: 'info' | 'warning' | 'error';
  message: string;
}

/** A tenant's limits; null: no limit. */
export interface QuotaTable {
  tenant_id: string;
  max_resources: number | null;
  max_checkpoints: number | null;
  max_stored_bytes: number | null;
}

/** What a tenant stored per resource in an hour, for billing: the latest sample of the hour. */
export interface UsageTable {
  tenant_id: string;
  resource_id: string;
  hour: Date;
  checkpoints: number;
  stored_bytes: number;
}

export type WebhookEvent = 'operation.failed' | 'plan.out_of_rpo' | 'checkpoint.damaged';

/** Where events are posted, signed with HMAC-SHA256 under the webhook's secret (sealed with the master key). */
export interface WebhookTable {
  id: string;
  /** null: an operator's, told of every tenant's events. */
  tenant_id: string | null;
  url: string;
  events: ColumnType<WebhookEvent[], string, string>;
  secret_sealed: string;
  created_at: Timestamp;
}

/** Every schedule tick up to `through` has been made into operations. */
export interface SchedulerClockTable {
  name: string;
  through: Date;
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
  policies: PolicyTable;
  plans: PlanTable;
  plan_resources: PlanResourceTable;
  checkpoints: CheckpointTable;
  operations: OperationTable;
  operation_log: OperationLogTable;
  quotas: QuotaTable;
  usage_records: UsageTable;
  webhooks: WebhookTable;
  scheduler_clock: SchedulerClockTable;
}

