// What a resource source publishes: its valid resources and the documents it had to reject.
import type { Rejected } from '../../api/parse.ts';
import type { Resource } from '../../api/resource.ts';

export interface SourceSnapshot {
  resources: Resource[];
  rejected: Rejected[];
}
