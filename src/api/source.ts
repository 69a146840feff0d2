// What a resource source publishes: its valid resources and the documents it had to reject.
import type { Rejected } from './parse.ts';
import type { Resource } from './resource.ts';

export interface SourceSnapshot {
  resources: Resource[];
  rejected: Rejected[];
  /**
   * The source sets each resource's `metadata.generation` and `metadata.creationIndex` itself, from what every
   * controller sees alike (Consul KV: the key's ModifyIndex, which only grows, and its CreateIndex), and the
   * store keeps them. Otherwise the store counts spec changes itself, in memory (from 1 again after a restart),
   * and the resources have no creation order.
   */
  ownMetadata?: boolean;
}
