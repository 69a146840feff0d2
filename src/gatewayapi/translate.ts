// The gateway translator: resources → IR, every resource's status, and every problem found. Pure: no I/O,
// no clocks, and the same input always gives the same (sorted) output.
import type { CertificateRequest } from '../api/certificate-request.ts';
import type { Resource } from '../api/resource.ts';
import type { ClusterIr, Ir } from '../ir/types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { byKey } from '../lib/stable.ts';
import { AuthConfigResolver } from './auth-configs.ts';
import { attachRoute, type HostPlacement, type ParentState } from './attach.ts';
import { buildGatewayIr } from './build.ts';
import { acceptClasses, gatewayContexts, gatewayStatus, isProgrammed, type GatewayContext } from './gateway.ts';
import { compileRoute, directResponseStatus, type CompiledRoute } from './httproute.ts';
import { mergeRequests } from './pki.ts';
import type { PkiRoleGrant } from './pki-roles.ts';
import type { Drop } from './precedence.ts';
import { problemAt, indexResources, type ResourceIndex } from './resources.ts';
import { RateLimitResolver } from './rate-limits.ts';
import { RouteOptionResolver } from './route-options.ts';
import { VirtualHostOptionResolver } from './virtual-host-options.ts';
import { groupDrops, routeStatus, shadowing } from './route-status.ts';
import type { StatusEntry } from './status.ts';
import { serviceClusters } from './service.ts';
import { groupProblems, upstreamGroupStatus } from './upstream-group.ts';
import { upstreamCertificateRequest, upstreamClientCertificate } from './upstream-tls.ts';
import { upstreamClusters, upstreamProblems, upstreamStatus } from './upstream.ts';

export type { Condition, StatusEntry } from './status.ts';

export const DEFAULT_CONTROLLER_NAME = 'portico.dev/gateway-controller';

export interface TranslateOptions {
  /** GatewayClasses with this controllerName are ours; default DEFAULT_CONTROLLER_NAME. */
  controllerName?: string;
  /** Who may use which Vault PKI role (portico.yaml `secrets.vault.pki.roles`); default DEFAULT_PKI_ROLES. */
  pkiRoles?: readonly PkiRoleGrant[];
}

export interface TranslateResult {
  ir: Ir;
  /** Certificates listeners and Upstreams ask Vault PKI for (the PKI issuer publishes them as Secrets); sorted. */
  certificateRequests: CertificateRequest[];
  /** Sorted by key. */
  statuses: StatusEntry[];
  /** Sorted by file, line and field. */
  problems: FieldProblem[];
}

interface AttachedRoute {
  route: CompiledRoute;
  parents: ParentState[];
  placements: HostPlacement[];
}

export function translate(resources: Resource[], opts: TranslateOptions = {}): TranslateResult {
  const controllerName = opts.controllerName ?? DEFAULT_CONTROLLER_NAME;
  const problems: FieldProblem[] = [];
  const index = indexResources(resources, problems, opts.pkiRoles);
  const classes = acceptClasses(index, controllerName);
  const gateways = gatewayContexts(index, classes.names, problems);
  const rateLimits = new RateLimitResolver(index);
  const auth = new AuthConfigResolver(index, problems);
  const options = new RouteOptionResolver(index, problems, rateLimits, auth);
  const routes = attachRoutes(index, gateways, options, problems);
  const hostOptions = new VirtualHostOptionResolver(index, gateways, problems, rateLimits, auth);
  const built = buildIr(index, gateways, routes, hostOptions);
  const rateLimit = rateLimits.ir();
  const authConfigs = auth.ir();
  problems.push(
    ...recordDrops(routes, built.drops),
    ...index.upstreamGroups.flatMap((g) => groupProblems(g, index)),
    ...index.upstreams.flatMap((u) => upstreamProblems(u, index)),
  );
  const statuses = [
    ...classes.statuses,
    ...gateways.map(gatewayStatus),
    ...routes.map((r) => routeStatus(r.route, r.parents, controllerName)),
    ...index.upstreams.map((u) => upstreamStatus(u, index)),
    ...index.upstreamGroups.map((g) => upstreamGroupStatus(g, index)),
    ...index.directResponses.map(directResponseStatus),
    ...options.statuses(),
    ...hostOptions.statuses(),
    ...rateLimits.statuses(),
    ...auth.statuses(),
  ];
  const ir: Ir = { ...built.ir, ...(rateLimit && { rateLimit }), ...(authConfigs.length && { authConfigs }) };
  return { ir, certificateRequests: certificateRequests(index, gateways), statuses: statuses.sort(byKey((s) => s.key)), problems: problems.sort(compareProblems) };
}

function certificateRequests(index: ResourceIndex, gateways: GatewayContext[]): CertificateRequest[] {
  const listeners = gateways.flatMap((g) => g.listeners.flatMap((l) => (l.tls?.certificateRequest && !l.refused ? [l.tls.certificateRequest] : [])));
  const upstreams = index.upstreams.flatMap((u) => upstreamCertificateRequest(u, index) ?? []);
  return mergeRequests([...listeners, ...upstreams]);
}

function attachRoutes(index: ResourceIndex, gateways: GatewayContext[], options: RouteOptionResolver, problems: FieldProblem[]): AttachedRoute[] {
  const byGateway = new Map(gateways.map((g) => [g.key, g]));
  return index.routes.map((r) => {
    const route = compileRoute(r, index, options, problems);
    return { route, ...attachRoute(route, byGateway, index, problems) };
  });
}

/** One GatewayIr per Gateway with at least one valid listener. */
function buildIr(index: ResourceIndex, gateways: GatewayContext[], routes: AttachedRoute[], hostOptions: VirtualHostOptionResolver): { ir: Ir; drops: Drop[] } {
  const clusters = new Map<string, ClusterIr>([...index.upstreams.flatMap((u) => upstreamClusters(u, index)), ...serviceClusters(index.routes)].map((c) => [c.name, c]));
  const clientCertificates = new Map(index.upstreams.flatMap((u) => {
    const client = upstreamClientCertificate(u, index);
    return client && 'secret' in client ? [[client.secret.name, client.secret] as const] : [];
  }));
  const placements = routes.flatMap((r) => r.placements);
  const built = gateways
    .filter(isProgrammed)
    .map((g) => buildGatewayIr(g, placements.filter((p) => p.gateway === g), { clusters, clientCertificates }, (l) => hostOptions.forListener(l)));
  return { ir: { gateways: built.map((b) => b.ir).sort(byKey((g) => g.key)) }, drops: built.flatMap((b) => b.drops) };
}

/** Hands each dropped match to the parent that placed it, and reports it once per match. */
function recordDrops(routes: AttachedRoute[], drops: Drop[]): FieldProblem[] {
  for (const d of drops) {
    const parents = routes.find((r) => r.route === d.loser.route)?.parents ?? [];
    parents.find((p) => p.index === d.loser.parent)?.dropped.push(d);
  }
  return groupDrops(drops).map((same) => {
    const { loser } = same[0] as Drop;
    return problemAt(loser.route.resource, loser.match.field, shadowing(same));
  });
}

function compareProblems(a: FieldProblem, b: FieldProblem): number {
  const file = (p: FieldProblem) => p.source?.file ?? p.source?.key ?? '';
  return (
    compare(file(a), file(b)) ||
    (a.source?.line ?? 0) - (b.source?.line ?? 0) ||
    compare(a.resource ?? '', b.resource ?? '') ||
    compare(a.field ?? '', b.field ?? '') ||
    compare(a.message, b.message)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
