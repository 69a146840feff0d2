// What a resource source publishes: its valid resources and the documents it had to reject.
import type { Rejected } from '../../api/parse.ts';
import type { Resource } from '../../api/resource.ts';

export interface SourceSnapshot {
  resources: Resource[];
  rejected: Rejected[];
  /**
   * The source sets each resource's `metadata.generation` itself, from something every controller sees
   * alike and that only grows (Consul KV: the key's ModifyIndex), and the store keeps it. Otherwise the store
   * counts spec changes itself, in memory: from 1 again after a restart.
   */
  ownGenerations?: boolean;
}
