// The pure middle of the control plane: resources → (gateway translator) → IR → (xDS translator) → Envoy
// resources per gateway, plus every resource's status and every problem found. Shared by the controller
// and by `portico translate`, so what the CLI prints is exactly what would be served.
import type { CertificateRequest } from '../api/certificate-request.ts';
import type { Rejected } from '../api/parse.ts';
import { identityRef, resourceId, resourceKey, type Resource } from '../api/resource.ts';
import type { PkiRoleGrant } from '../gatewayapi/pki-roles.ts';
import { translate, type TranslateOptions, type TranslateResult } from '../gatewayapi/translate.ts';
import type { DomainConfig } from '../contracts/ratelimit.ts';
import { SERVICE_NODE_KEYS, type JsonObject, type ServiceConfigItem, type ServiceNodeKey } from '../contracts/service-config.ts';
import type { GatewayIr, Ir, RateLimitIr } from '../ir/types.ts';
import { formatProblem, type FieldProblem } from '../lib/errors.ts';
import type { StatusRecord } from '../status/record.ts';
import type { XdsResources } from '../xds/resources.ts';
import type { ExtAuthTarget } from '../xds/translator/ext-authz.ts';
import type { RateLimitSettings } from '../xds/translator/rate-limit.ts';
import { translateGateway, translateIr, type XdsTranslatorOptions } from '../xds/translator/translate.ts';

export interface PipelineOptions {
  controllerName?: string;
  /** The rate-limit service (portico.yaml `rateLimit`); absent: no rate limiting. */
  rateLimit?: RateLimitSettings;
  /** Portico's ext-auth service, which the ext_authz filters call. */
  extAuth?: ExtAuthTarget;
  /** Who may use which Vault PKI role (`secrets.vault.pki.roles`); absent: the default (gatewayapi/pki-roles.ts). */
  pkiRoles?: readonly PkiRoleGrant[];
  /** false: the gateways' xDS without EDS, which the caller builds itself (the controller: app/endpoint-join.ts). */
  endpoints?: boolean;
}

export interface PipelineOutput {
  ir: Ir;
  /** What the PKI issuer should issue (see gatewayapi/pki.ts). */
  certificateRequests: CertificateRequest[];
  xds: Map<string, XdsResources>;
  /** What each of Portico's own services is streamed; every service has an entry, empty when unused. */
  services: Map<ServiceNodeKey, ServiceConfigItem[]>;
  statuses: StatusRecord[];
  problems: FieldProblem[];
}

export function runPipeline(resources: Resource[], rejected: Rejected[], opts: PipelineOptions = {}): PipelineOutput {
  const result = translate(resources, translateOptions(opts));
  return {
    ir: result.ir,
    certificateRequests: result.certificateRequests,
    xds: translateIr(result.ir, xdsOptions(opts)),
    services: serviceConfigs(result.ir, opts),
    statuses: withRejections(result, rejected),
    problems: [...rejected.flatMap((r) => r.problems), ...result.problems],
  };
}

/**
 * One gateway translated from resources of its own: while Envoy's rejection is contained, the gateway is
 * served with some resources withheld (see pinned()), the other gateways from the store as it is.
 */
export function runGatewayPipeline(resources: Resource[], gatewayKey: string, opts: PipelineOptions = {}): { gateway: GatewayIr; xds: XdsResources } | undefined {
  const { ir } = translate(resources, translateOptions(opts));
  const gateway = ir.gateways.find((g) => g.key === gatewayKey);
  return gateway && { gateway, xds: translateGateway(gateway, xdsOptions(opts)) };
}

/** `resources` with each withheld key at its version in `fallback`, or left out when it has none there. */
export function pinned(resources: readonly Resource[], withheld: ReadonlySet<string>, fallback: ReadonlyMap<string, Resource> | undefined): Map<string, Resource> {
  const out: [string, Resource][] = [];
  for (const r of resources) {
    const key = resourceKey(r);
    if (!withheld.has(key)) out.push([key, r]);
  }
  for (const key of withheld) {
    const old = fallback?.get(key);
    if (old) out.push([key, old]);
  }
  // In the store's order (by key), so the translation sees them as it would have.
  return new Map(out.sort(([a], [b]) => (a < b ? -1 : 1)));
}

function translateOptions(opts: PipelineOptions): TranslateOptions {
  return { ...(opts.controllerName && { controllerName: opts.controllerName }), ...(opts.pkiRoles && { pkiRoles: opts.pkiRoles }) };
}

function xdsOptions(opts: PipelineOptions): XdsTranslatorOptions {
  return { ...(opts.rateLimit && { rateLimit: opts.rateLimit }), ...(opts.extAuth && { extAuth: opts.extAuth }), ...(opts.endpoints === false && { endpoints: false }) };
}

/** Each service's configuration from the IR: the ext-auth service gets every AuthConfig, Secrets resolved. */
function serviceConfigs(ir: Ir, opts: PipelineOptions): Map<ServiceNodeKey, ServiceConfigItem[]> {
  const services = new Map<ServiceNodeKey, ServiceConfigItem[]>(Object.values(SERVICE_NODE_KEYS).map((key) => [key, []]));
  services.set(SERVICE_NODE_KEYS.ratelimit, rateLimitItems(ir.rateLimit, opts.rateLimit));
  // The IR is plain JSON by design (no undefined values), so it travels as a Struct as it is.
  services.set(SERVICE_NODE_KEYS.extauth, (ir.authConfigs ?? []).map((c) => ({ name: c.name, config: c as unknown as JsonObject })));
  return services;
}

/** One item per domain, served even when no route limits anything, so the service knows its domain and failure mode. */
function rateLimitItems(ir: RateLimitIr | undefined, settings: RateLimitSettings | undefined): ServiceConfigItem[] {
  if (!settings) return [];
  const config: DomainConfig = { domain: settings.domain, descriptors: ir?.descriptors ?? [], failureModeDeny: settings.denyOnFail };
  return [{ name: settings.domain, config: config as unknown as JsonObject }];
}

/**
 * For a running controller: options asking for rate limits with no service configured, said once, not per
 * option. (`portico validate` does not know the controller's settings, so it does not ask.)
 */
export function unservedLimits(ir: Ir, rateLimit: RateLimitSettings | undefined): FieldProblem[] {
  if (!ir.rateLimit || rateLimit) return [];
  return [{ message: 'rate limits are configured (rateLimitConfigs or ratelimitBasic options) but no rate-limit service is: set rateLimit.address in portico.yaml (or --ratelimit-address); nothing is limited' }];
}

/**
 * A rejected document that names itself gets `Accepted=False, reason Invalid` on its own status, on top of
 * whatever its last good version still produces (the store keeps that version serving).
 */
function withRejections(result: TranslateResult, rejected: Rejected[]): StatusRecord[] {
  const byKey = new Map<string, StatusRecord>(result.statuses.map((s) => [s.key, s]));
  for (const rej of rejected) {
    if (!rej.id) continue;
    const ref = identityRef(rej.id);
    const key = resourceKey(ref);
    const prev = byKey.get(key);
    const invalid = {
      type: 'Accepted',
      status: 'False',
      reason: 'Invalid',
      message: `${rej.problems.map(formatProblem).join('; ')}${prev ? ' (the last valid version keeps serving)' : ''}`,
    };
    const others = ((prev?.status.conditions as { type: string }[] | undefined) ?? []).filter((c) => c.type !== 'Accepted');
    byKey.set(key, {
      key,
      id: resourceId(ref),
      source: rej.source,
      ...(prev?.generation !== undefined ? { generation: prev.generation } : {}),
      status: { ...prev?.status, conditions: [invalid, ...others] },
    });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
