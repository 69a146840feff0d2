// Status as the Gateway API writes it: conditions without timestamps (the status writer adds
// lastTransitionTime), one entry per resource, keyed like the store keys resources.
import { resourceId, resourceKey, type Resource } from '../api/resource.ts';
import type { SourceRef } from '../lib/errors.ts';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** One resource's status. */
export interface StatusEntry {
  /** resourceKey(): `group/Kind/namespace/name` */
  key: string;
  /** resourceId(): `Kind namespace/name` */
  id: string;
  source?: SourceRef;
  generation?: number;
  status: Record<string, unknown>;
}

/** A reason and a message: why a condition is what it is. */
export interface Because {
  reason: string;
  message: string;
}

export function condition(r: Resource, type: string, ok: boolean, because: Because): Condition {
  const generation = r.metadata.generation;
  return { type, status: ok ? 'True' : 'False', ...because, ...(generation !== undefined && { observedGeneration: generation }) };
}

export function statusEntry(r: Resource, status: Record<string, unknown>): StatusEntry {
  const { generation } = r.metadata;
  return {
    key: resourceKey(r),
    id: resourceId(r),
    ...(r.source && { source: r.source }),
    ...(generation !== undefined && { generation }),
    status,
  };
}
