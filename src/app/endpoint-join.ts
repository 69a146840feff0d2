// The discovery join: the endpoint sets the discovery providers publish (Consul catalog, EC2) joined into each
// gateway's clusters as its EDS resources. This is the one place the controller's EDS is built — the pipeline
// leaves it out (PipelineOptions.endpoints), so no ClusterLoadAssignment is built to be replaced. With
// discovery off the sets are empty and every cluster is served its static endpoints, as the translator would.
// The join runs after each translation and after each endpoint change (which then re-sends EDS alone).
import type { Resource } from '../api/resource.ts';
import { connectConsul, type ConsulOptions } from '../consul/client.ts';
import { watchesOf, type EndpointSets } from '../ir/endpoints.ts';
import type { ClusterIr, GatewayIr } from '../ir/types.ts';
import type { Logger } from '../lib/logger.ts';
import { Discovery } from '../providers/discovery/discovery.ts';
import { secretLookup } from '../providers/discovery/ec2.ts';
import type { NamedResource } from '../xds/resources.ts';
import type { Notify } from './changes.ts';
import { LoadAssignments } from './load-assignments.ts';

export interface ControllerDiscoveryOptions {
  /** Consul catalog discovery (Service backendRefs, consul Upstreams) on this connection. */
  consul?: ConsulOptions & { waitMs?: number };
  /** EC2 discovery (awsEc2 Upstreams); `endpoint` overrides the AWS endpoint (e.g. moto). */
  ec2?: { endpoint?: string; intervalMs?: number };
}

const NO_SETS: EndpointSets = new Map();

export class EndpointJoin {
  readonly #discovery?: Discovery;
  readonly #closeConnection: () => void = () => {};
  readonly #assignments = new LoadAssignments();
  /** A gateway served with resources withheld has clusters of its own translation: their own builder. */
  readonly #pinned = new Map<string, LoadAssignments>();
  #built = new Map<string, NamedResource[]>();

  constructor(opts: { discovery?: ControllerDiscoveryOptions; logger: Logger; notify: Notify }) {
    const { discovery, logger, notify } = opts;
    if (!discovery) return;
    const connection = discovery.consul && connectConsul(discovery.consul);
    this.#discovery = new Discovery({
      logger: logger.child({ component: 'discovery' }),
      ...(connection && { consul: { connection, ...(discovery.consul?.waitMs && { waitMs: discovery.consul.waitMs }) } }),
      ...(discovery.ec2 && { ec2: discovery.ec2 }),
      onChange: () => notify({ kind: 'endpoints' }),
      onDeniedChange: () => notify({ kind: 'statuses' }),
    });
    if (connection) this.#closeConnection = () => connection.close();
  }

  /** After a translation: runs exactly the watches the gateways' clusters need (EC2 credentials from the store's Secrets). */
  want(gateways: readonly GatewayIr[], resources: Resource[]): void {
    this.#discovery?.want(watchesOf(gateways), secretLookup(resources));
    const live = new Set(gateways.map((g) => g.key));
    for (const key of this.#pinned.keys()) if (!live.has(key)) this.#pinned.delete(key);
  }

  /** Joins the current endpoint sets into every gateway's clusters; endpoints(key) then serves them. */
  join(gateways: readonly GatewayIr[]): void {
    const built = this.#assignments.build(gateways.map((g) => g.clusters), this.#sets());
    this.#built = new Map(gateways.map((g, i) => [g.key, built[i] ?? []]));
  }

  /** A gateway's EDS resources from the last join(). */
  endpoints(gateway: string): NamedResource[] {
    return this.#built.get(gateway) ?? [];
  }

  /** The EDS resources of a gateway translated on its own (resources withheld), from the current sets. */
  pinned(gateway: string, clusters: readonly ClusterIr[]): NamedResource[] {
    const assignments = this.#pinned.get(gateway) ?? new LoadAssignments();
    this.#pinned.set(gateway, assignments);
    return assignments.build([clusters], this.#sets())[0] ?? [];
  }

  /** Watch key → why the token may not read it (shown in the statuses of the resources using it). */
  denied(): ReadonlyMap<string, string> {
    return this.#discovery?.denied() ?? NO_DENIED;
  }

  problems(): string[] {
    return this.#discovery?.problems() ?? [];
  }

  /** Discovery watch keys running now (for tests). */
  watching(): string[] {
    return this.#discovery?.watching() ?? [];
  }

  async stop(): Promise<void> {
    await this.#discovery?.stop();
    this.#closeConnection();
  }

  #sets(): EndpointSets {
    return this.#discovery?.sets() ?? NO_SETS;
  }
}

const NO_DENIED: ReadonlyMap<string, string> = new Map();
