// One resource's status as the writers receive it.
import type { SourceRef } from '../lib/errors.ts';

export interface StatusRecord {
  /** resourceKey(): `group/Kind/namespace/name` */
  key: string;
  /** resourceId(): `Kind namespace/name` */
  id: string;
  source?: SourceRef;
  generation?: number;
  status: Record<string, unknown>;
}
