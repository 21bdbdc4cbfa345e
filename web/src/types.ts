/** The shapes of the API's answers that the console reads (the OpenAPI description at /v1/openapi.json has them all). */
import type { Weekday } from './schedule-form.ts';

export type TenantRole = 'admin' | 'member' | 'viewer';

export interface Me {
  userId: string;
  username: string;
  operator: boolean;
  tenants: { tenantId: string; role: TenantRole }[];
}

export interface Tenant {
  id: string;
  name: string;
}

export interface Resource {
  id: string;
  tenantId: string | null;
  type: string;
  /** Where the host finds it: a volume's file, a file set's directory, a server's domain name. */
  externalId: string;
  name: string;
  parentId: string | null;
  sizeBytes: number | null;
  missingSince: string | null;
}

export interface Checkpoint {
  id: string;
  tenantId: string | null;
  resourceId: string | null;
  operationId: string | null;
  /** The bank's manifest type: volume, server or files. */
  type: string;
  /** The checkpoint it is incremental to; null for a full one. */
  parentRef: string | null;
  status: 'protecting' | 'available' | 'error' | 'deleting' | 'missing';
  /** The resource's logical size, and what this checkpoint added to its bank. */
  sourceBytes: number | null;
  storedBytes: number | null;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
  verifiedAt: string | null;
  damaged: boolean;
  pinned: boolean;
}

/** GET /v1/protectables: a resource type with the JSON schema of its restore target. */
export interface Protectable {
  type: string;
  restoreTargetSchema: Record<string, unknown>;
}

export interface Plan {
  id: string;
  tenantId: string;
  name: string;
  policyId: string;
  bankId: string;
  enabled: boolean;
  rpoSeconds: number | null;
  resourceIds: string[];
}

/** GET /v1/plan-banks: a bank a plan may back up into, as a tenant may know it (no location). */
export interface PlanBank {
  id: string;
  name: string;
  siteName: string;
  /** The bank a plan gets when it names none. */
  default: boolean;
}

/** GET /v1/plans/{id}/status: whether the plan keeps its recovery point objective. */
export interface PlanStatus {
  rpoSeconds: number | null;
  rpoFromSchedule: boolean;
  outOfRpo: boolean;
  lastFailure: { operationId: string; at: string; error: string } | null;
}

/** Retention as the API takes it: counts, and keepWithin as a duration (36h, 7d, 1y6m). */
export interface Retention {
  keepLast?: number;
  keepWithin?: string;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
}

export interface Timing {
  window?: { start: string; end: string };
  jitterSeconds?: number;
  fullEvery?: number;
  /** The first backup of these days is full. */
  fullOn?: Weekday[];
}

/** A tenant's policy, or (tenantId null) an offering operators publish for every tenant. */
export interface Policy {
  id: string;
  tenantId: string | null;
  name: string;
  description: string;
  schedule: string | null;
  timeZone: string;
  retention: Retention;
  timing: Timing;
  /** Backup options; an offering's may include those only operators set. */
  options?: Record<string, unknown>;
}

export const OPERATION_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type OperationState = (typeof OPERATION_STATES)[number];
export const OPERATION_TYPES = ['backup', 'restore', 'delete', 'verify', 'gc'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

export interface Progress {
  phase?: string;
  doneBytes?: number;
  totalBytes?: number;
  rate?: number;
  etaSeconds?: number;
  step?: string;
}

export interface Operation {
  id: string;
  tenantId: string | null;
  type: OperationType;
  state: OperationState;
  progress: Progress | null;
  error: string | null;
  scheduled: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface LogLine {
  at: string;
  level: 'info' | 'warning' | 'error';
  message: string;
}

/** GET /v1/operations/{id}: the operation with what was asked, what came of it, and its log. */
export interface OperationDetail extends Operation {
  request: Record<string, unknown>;
  result: Record<string, unknown> | null;
  attempts: number;
  cancelRequested: boolean;
  log: LogLine[];
}

/** The items of one tenant: an operator sees every tenant's, and the console shows one tenant at a time. */
export const ownedBy = (tenantId: string) => <T extends { tenantId: string | null }>(items: T[]): T[] => items.filter((i) => i.tenantId === tenantId);

// Administration: tenants' members, user accounts, quotas and usage records (operators; a tenant's
// admins manage its members, and its members read its quota and usage).

export interface Member {
  userId: string;
  username: string;
  role: TenantRole;
}

/** GET /v1/users: never a password nor its hash. */
export interface User {
  id: string;
  username: string;
  operator: boolean;
  disabled: boolean;
  createdAt: string;
}

/** A tenant's limits; null: no limit. */
export interface Quota {
  maxResources: number | null;
  maxCheckpoints: number | null;
  maxStoredBytes: number | null;
}

/** GET /v1/tenants/{id}/quota: the limits and what the tenant uses of them now. */
export interface QuotaUse {
  tenantId: string;
  quota: Quota;
  usage: { resources: number; checkpoints: number; storedBytes: number };
}

/** GET /v1/usage: one resource's checkpoints and stored bytes as last sampled in one hour. */
export interface UsageRecord {
  tenantId: string;
  tenantName: string | null;
  resourceId: string;
  resourceName: string | null;
  hour: string;
  checkpoints: number;
  storedBytes: number;
}
