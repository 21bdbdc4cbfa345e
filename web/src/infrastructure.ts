/**
 * What operators see of the infrastructure (GET /v1/sites, /v1/hosts, /v1/banks and a bank's health)
 * and how each thing's health reads: one word and the state colour the console uses for operations,
 * so a glance down a table finds what needs attention.
 */
import type { OperationState } from './types.ts';

export interface Site {
  id: string;
  name: string;
  createdAt: string;
}

export const HOST_KINDS = ['libvirt', 'volumes', 'qsd', 'files'] as const;
export type HostKind = (typeof HOST_KINDS)[number];

export interface Host {
  id: string;
  name: string;
  siteId: string;
  kind: HostKind;
  location: string;
  tenantId: string | null;
  createdAt: string;
  discoveredAt: string | null;
  discoveryError: string | null;
  maxOperations: number | null;
  /** When an agent last said it serves the host; null: the servers run its operations. */
  agentSeenAt: string | null;
  runningOperations: number;
}

export interface Maintenance {
  gcSchedule?: string;
  verifySchedule?: string;
  timeZone?: string;
  samplePercent?: number;
  reverifyDays?: number;
}

export interface Bank {
  id: string;
  name: string;
  siteId: string;
  location: string;
  bankUuid: string;
  createdAt: string;
  maintenance: Maintenance;
  maxOperations: number | null;
}

export interface UpkeepRun {
  id: string;
  state: OperationState;
  finishedAt: string | null;
  error: string | null;
}

/** GET /v1/banks/{id}/health. */
export interface BankHealth {
  reachable: boolean;
  reason: string | null;
  checkpoints: number;
  storedBytes: number;
  damagedCheckpoints: number;
  lastGc: UpkeepRun | null;
  lastVerify: UpkeepRun | null;
  runningOperations: number;
  maxOperations: number | null;
}

/** A health as shown: its words and the class of its badge. */
export interface Health {
  label: string;
  tone: 'ok' | 'bad' | 'warn' | 'none';
}

/** As src/catalog/resources.ts's AGENT_GONE_MS: an agent says it serves its hosts every 30 s. */
export const AGENT_GONE_MS = 90_000;

export function agentGone(host: Host, now: number): boolean {
  return host.agentSeenAt !== null && now - Date.parse(host.agentSeenAt) > AGENT_GONE_MS;
}

export function hostHealth(host: Host, now: number): Health {
  if (agentGone(host, now)) return { label: 'agent gone', tone: 'bad' };
  if (host.discoveryError) return { label: 'discovery failed', tone: 'bad' };
  if (!host.discoveredAt) return { label: 'never discovered', tone: 'none' };
  return { label: 'ok', tone: 'ok' };
}

export function bankHealth(health: BankHealth | undefined): Health {
  if (!health) return { label: 'checking…', tone: 'none' };
  if (!health.reachable) return { label: 'unreachable', tone: 'bad' };
  if (health.damagedCheckpoints > 0) return { label: `${health.damagedCheckpoints} damaged`, tone: 'bad' };
  if (health.lastGc?.state === 'failed' || health.lastVerify?.state === 'failed') return { label: 'upkeep failed', tone: 'warn' };
  return { label: 'ok', tone: 'ok' };
}

const TONE_CLASS: Record<Health['tone'], string> = { ok: 'state-succeeded', bad: 'state-failed', warn: 'state-cancelled', none: 'state-queued' };

export const healthClass = (h: Health): string => `state ${TONE_CLASS[h.tone]}`;
