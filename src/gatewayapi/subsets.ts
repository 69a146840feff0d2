// Subset load balancing for consul Upstreams, as Gloo does it: each subset tag of an Upstream labels every
// endpoint `tag_<tag>` "1" (the instance carries the tag) or "0"; an UpstreamGroup destination's
// `subset.values` sends its share to the endpoints with those labels (Envoy's metadata_match), and the
// Upstream's cluster gets one subset selector per label set its destinations use.
import type { UpstreamSpec, WeightedDestination } from '../api/gloo-types.ts';
import type { Resource } from '../api/resource.ts';
import { subsetLabel } from '../ir/endpoints.ts';
import type { SubsetIr } from '../ir/types.ts';
import type { ResourceIndex } from './resources.ts';

/** Gloo reads the deprecated serviceTags only when subsetTags is empty. Sorted, unique. */
export function consulSubsetTags(spec: UpstreamSpec): string[] {
  const { subsetTags = [], serviceTags = [] } = spec.consul ?? {};
  return [...new Set(subsetTags.length ? subsetTags : serviceTags)].sort();
}

/** A destination's subset, checked against its Upstream's subset tags, or what is wrong with it. */
export function checkSubset(subset: NonNullable<WeightedDestination['destination']['subset']>, upstream: Resource<UpstreamSpec>): { subset: SubsetIr } | { problem: string } {
  const labels = consulSubsetTags(upstream.spec).map(subsetLabel);
  const id = `Upstream ${upstream.metadata.namespace}/${upstream.metadata.name}`;
  if (!labels.length) return { problem: `${id} has no subsetTags (spec.consul.subsetTags), so it has no subsets; the whole Upstream gets this share` };
  for (const [key, value] of Object.entries(subset.values)) {
    if (!labels.includes(key)) return { problem: `${key} is not a subset label of ${id} (its subsetTags give ${labels.join(', ')}); the whole Upstream gets this share` };
    if (value !== '1' && value !== '0') return { problem: `${key}: ${JSON.stringify(value)} must be "1" (instances with the tag) or "0" (without it); the whole Upstream gets this share` };
  }
  return { subset: Object.fromEntries(Object.entries(subset.values).sort(([a], [b]) => (a < b ? -1 : 1))) };
}

/** The label sets that UpstreamGroup destinations pick `u`'s subsets by: the selectors its cluster needs. */
export function subsetSelectors(u: Resource<UpstreamSpec>, index: ResourceIndex): string[][] {
  const keys = new Map<string, string[]>();
  for (const group of index.upstreamGroups) {
    for (const { destination: d, weight } of group.spec.destinations) {
      const { name, namespace = group.metadata.namespace } = d.upstream;
      if (!d.subset || !weight || name !== u.metadata.name || namespace !== u.metadata.namespace) continue;
      const checked = checkSubset(d.subset, u);
      if ('subset' in checked) keys.set(Object.keys(checked.subset).join(','), Object.keys(checked.subset));
    }
  }
  return [...keys.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, k]) => k);
}
