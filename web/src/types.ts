/** The shapes of the API's answers that the console reads (the OpenAPI description at /v1/openapi.json has them all). */
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
  name: string;
  parentId: string | null;
  missingSince: string | null;
}

export interface Plan {
  id: string;
  tenantId: string;
  name: string;
  enabled: boolean;
  resourceIds: string[];
}

export type OperationState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

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
  type: 'backup' | 'restore' | 'delete' | 'verify' | 'gc';
  state: OperationState;
  progress: Progress | null;
  error: string | null;
  scheduled: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
