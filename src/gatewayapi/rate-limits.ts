// Rate limits of RouteOptions and VirtualHostOptions → the descriptors Envoy sends (route and virtual host
// `rate_limits`) and the rules the rate-limit service matches them against (RateLimitIr). Each RateLimitConfig
// in use becomes one root of the service's tree, keyed by a first entry only its own actions send
// (`portico.rlc` = `<namespace>/<name>`, or `portico.rlc-set` for set-style), so two configs never share a
// counter or shadow each other's rules. ratelimitBasic does the same per option (`portico.basic`), and tells
// users apart by the principal ext-auth publishes as dynamic metadata (contracts/extauth.ts), never by a request header a
// client could set.
import type { RateLimitBasic, RateLimitConfigRefs, RateLimitConfigSpec, RateLimitDescriptor, RateLimitSpec } from '../api/ratelimit-types.ts';
import { RATELIMIT_GROUP, type Resource } from '../api/resource.ts';
import { AUTH_METADATA_NAMESPACE, USER_ID_METADATA_KEY } from '../contracts/extauth.ts';
import type { RateLimitActionIr, RateLimitIr, RateLimitPolicyIr } from '../ir/types.ts';
import { byKey } from '../lib/stable.ts';
import type { DescriptorConfig, LimitConfig, Unit } from '../contracts/ratelimit.ts';
import type { Setting } from './policies.ts';
import { condition, statusEntry, type StatusEntry } from './status.ts';
import type { ResourceIndex } from './resources.ts';

/** The descriptor entry ratelimitBasic makes of ext-auth's principal. */
const USER_ENTRY = 'portico.user';
/**
 * Its value when ext-auth published no principal: the route has no ext-auth, the check failed open, or the
 * rate-limit filter runs before ext_authz (rateLimitBeforeAuth). A principal spelt the same counts as anonymous.
 */
const ANONYMOUS = 'portico.anonymous';

/** The two rate-limit settings of an option; each goes to the first option in precedence that sets it. */
export const RATE_LIMIT_CONFIGS: Setting = { name: 'rateLimitConfigs', fields: ['rateLimitConfigs'] };
export const RATE_LIMIT_BASIC: Setting = { name: 'ratelimitBasic', fields: ['ratelimitBasic'] };

type RateLimitConfig = Resource<RateLimitConfigSpec>;
/** A RouteOption or VirtualHostOption. */
type RateLimitOption = Resource<{ options?: { rateLimitConfigs?: RateLimitConfigRefs; ratelimitBasic?: RateLimitBasic } }>;
/** Reports a problem with a field of an option (the reason: ResolvedRefs' when it is about a reference). */
export type OptionReport = (option: Resource, field: string, message: string, reason?: string) => void;

export class RateLimitResolver {
  readonly #index: ResourceIndex;
  /** Roots of the service's tree in use, by root id (so each is built once). */
  readonly #roots = new Map<string, DescriptorConfig>();
  /** RateLimitConfig key → the options using it. */
  readonly #users = new Map<string, Set<string>>();

  constructor(index: ResourceIndex) {
    this.#index = index;
  }

  /** The descriptors Envoy sends for the option settings that won (RATE_LIMIT_CONFIGS, RATE_LIMIT_BASIC). */
  policies(winners: ReadonlyMap<string, RateLimitOption>, report: OptionReport): RateLimitPolicyIr[] {
    const configs = winners.get(RATE_LIMIT_CONFIGS.name);
    const basic = winners.get(RATE_LIMIT_BASIC.name);
    const limits = basic?.spec.options?.ratelimitBasic;
    return [
      ...(configs ? this.#refsPolicies(configs, configs.spec.options?.rateLimitConfigs?.refs ?? [], report) : []),
      ...(basic && limits ? this.#basicPolicies(basic, limits) : []),
    ];
  }

  /** The service's rules; undefined when no option limits anything. */
  ir(): RateLimitIr | undefined {
    if (!this.#roots.size) return undefined;
    return { descriptors: [...this.#roots.values()].sort(byKey((d) => `${d.key}\u0000${d.value}`)) };
  }

  /** Every valid RateLimitConfig is Accepted; the message says which options use it. */
  statuses(): StatusEntry[] {
    return this.#index.rateLimitConfigs.map((c) => {
      const users = [...(this.#users.get(`${c.metadata.namespace}/${c.metadata.name}`) ?? [])].sort();
      const message = users.length ? `used by ${users.join(', ')}` : 'valid; not used by any RouteOption or VirtualHostOption yet';
      return statusEntry(c, { conditions: [condition(c, 'Accepted', true, { reason: 'Accepted', message })] });
    });
  }

  #refsPolicies(option: RateLimitOption, refs: RateLimitConfigRefs['refs'], report: OptionReport): RateLimitPolicyIr[] {
    return refs.flatMap((ref, i) => {
      const namespace = ref.namespace ?? option.metadata.namespace;
      const field = `spec.options.rateLimitConfigs.refs[${i}]`;
      // Permission before existence: a refused reference says nothing of the other namespace.
      const refused = this.#index.refusal(option, { group: RATELIMIT_GROUP, kind: 'RateLimitConfig', namespace, name: ref.name });
      if (refused) {
        report(option, field, `${refused.message}; no limit from it applies`, refused.reason);
        return [];
      }
      const config = this.#index.rateLimitConfig(namespace, ref.name);
      if (!config) {
        report(option, field, `RateLimitConfig ${namespace}/${ref.name} not found (or never valid); no limit from it applies`);
        return [];
      }
      this.#use(config, option);
      return this.#configPolicies(config);
    });
  }

  #use(config: RateLimitConfig, option: Resource): void {
    const key = `${config.metadata.namespace}/${config.metadata.name}`;
    this.#users.set(key, (this.#users.get(key) ?? new Set()).add(`${option.kind} ${option.metadata.namespace}/${option.metadata.name}`));
  }

  #configPolicies(config: RateLimitConfig): RateLimitPolicyIr[] {
    const id = `${config.metadata.namespace}/${config.metadata.name}`;
    const { raw } = config.spec;
    if (raw.descriptors?.length) this.#roots.set(`tree:${id}`, { key: 'portico.rlc', value: id, descriptors: raw.descriptors.map(descriptorOf) });
    if (raw.setDescriptors?.length) {
      const setDescriptors = raw.setDescriptors.map((s) => ({ ...s, rateLimit: limitOf(s.rateLimit) }));
      this.#roots.set(`set:${id}`, { key: 'portico.rlc-set', value: id, setDescriptors });
    }
    return raw.rateLimits.map((r): RateLimitPolicyIr => {
      const [key, actions] = r.setActions ? (['portico.rlc-set', r.setActions] as const) : (['portico.rlc', r.actions ?? []] as const);
      return { actions: [rootAction(key, id), ...actions] };
    });
  }

  /**
   * Anonymous requests (no principal) are counted per client address, the others per principal. Both policies
   * read the principal: the anonymous one with a default value, so it always sends a descriptor (whose sentinel
   * only the anonymous branch of the tree matches); the authorized one without, so it sends none for anonymous
   * requests. An authenticated request's anonymous descriptor (principal, then address) matches nothing.
   */
  #basicPolicies(option: Resource, basic: RateLimitBasic): RateLimitPolicyIr[] {
    const id = `${option.kind}/${option.metadata.namespace}/${option.metadata.name}`;
    const descriptors: DescriptorConfig[] = [];
    const policies: RateLimitPolicyIr[] = [];
    if (basic.anonymousLimits) {
      descriptors.push({ key: USER_ENTRY, value: ANONYMOUS, descriptors: [{ key: 'remote_address', rateLimit: limitOf(basic.anonymousLimits) }] });
      policies.push({ actions: [rootAction('portico.basic', id), principalAction(ANONYMOUS), { remoteAddress: {} }] });
    }
    if (basic.authorizedLimits) {
      descriptors.push({ key: USER_ENTRY, rateLimit: limitOf(basic.authorizedLimits) });
      policies.push({ actions: [rootAction('portico.basic', id), principalAction()] });
    }
    this.#roots.set(`basic:${id}`, { key: 'portico.basic', value: id, descriptors });
    return policies;
  }
}

/** ext-auth's principal from the request's dynamic metadata; without one, `defaultValue` or no descriptor. */
function principalAction(defaultValue?: string): RateLimitActionIr {
  const metadataKey = { key: AUTH_METADATA_NAMESPACE, path: [{ key: USER_ID_METADATA_KEY }] };
  return { metadata: { descriptorKey: USER_ENTRY, metadataKey, ...(defaultValue !== undefined && { defaultValue }), source: 'DYNAMIC' } };
}

function rootAction(key: string, id: string): RateLimitActionIr {
  return { genericKey: { descriptorKey: key, descriptorValue: id } };
}

function descriptorOf(d: RateLimitDescriptor): DescriptorConfig {
  return {
    key: d.key,
    ...(d.value !== undefined && { value: d.value }),
    ...(d.rateLimit && { rateLimit: limitOf(d.rateLimit) }),
    ...(d.descriptors?.length && { descriptors: d.descriptors.map(descriptorOf) }),
    ...(d.weight !== undefined && { weight: d.weight }),
    ...(d.alwaysApply !== undefined && { alwaysApply: d.alwaysApply }),
    ...(d.shadowMode !== undefined && { shadowMode: d.shadowMode }),
  };
}

function limitOf(l: RateLimitSpec): LimitConfig {
  return { requestsPerUnit: l.requestsPerUnit, unit: l.unit.toLowerCase() as Unit };
}
