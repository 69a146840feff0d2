// The EDS resources of the gateways, rebuilt after each translation and each endpoint change. A cluster
// whose IR object and endpoint sets are the very objects of the previous build keeps its previous resource
// object, so a health change rebuilds one ClusterLoadAssignment and the snapshot cache, which reuses the
// encoding of identical resource objects, encodes only that one (not all of them: at 1,000 clusters that
// was most of the controller's CPU per change).
import { joinCluster, sourceKeys, type DiscoveredEndpoint, type EndpointSets } from '../ir/endpoints.ts';
import type { ClusterIr } from '../ir/types.ts';
import type { NamedResource } from '../xds/resources.ts';
import { translateLoadAssignment } from '../xds/translator/translate.ts';

interface Built {
  cluster: ClusterIr;
  inputs: (readonly DiscoveredEndpoint[] | undefined)[];
  resource: NamedResource;
}

export class LoadAssignments {
  #built = new Map<string, Built>();

  /** Call once per build with every gateway's clusters; entries of clusters no longer served are dropped. */
  build(gateways: readonly (readonly ClusterIr[])[], sets: EndpointSets): NamedResource[][] {
    const next = new Map<string, Built>();
    const out = gateways.map((clusters) => clusters.map((c) => this.#one(c, sets, next)));
    this.#built = next;
    return out;
  }

  #one(cluster: ClusterIr, sets: EndpointSets, next: Map<string, Built>): NamedResource {
    const inputs = cluster.discovery ? sourceKeys(cluster.discovery).map((k) => sets.get(k)) : [];
    const previous = next.get(cluster.name) ?? this.#built.get(cluster.name);
    const same = previous && previous.cluster === cluster && previous.inputs.length === inputs.length && previous.inputs.every((x, i) => x === inputs[i]);
    const built = same ? previous : { cluster, inputs, resource: translateLoadAssignment(joinCluster(cluster, sets)) };
    next.set(cluster.name, built);
    return built.resource;
  }
}
