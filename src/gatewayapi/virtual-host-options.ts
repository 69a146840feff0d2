// VirtualHostOptions (Gloo's gateway.solo.io/v1) on a Gateway, or on one of its listeners (sectionName): their
// header changes, CORS policy and retries apply to every virtual host of the listener, beneath the routes (a
// route's own setting of the same kind wins; see xds/translator/route.ts). Between options, setting by setting:
// those naming the listener before those naming the whole Gateway, oldest first. An `extauth` whose AuthConfig
// does not resolve (missing, or refused for want of a ReferenceGrant) denies (403) every route of the
// listener that does not set its own auth: never served unchecked.
import type { VirtualHostOptionSpec } from '../api/gloo-types.ts';
import { resourceId, type Resource } from '../api/resource.ts';
import type { VirtualHostIr } from '../ir/types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import type { AuthConfigResolver } from './auth-configs.ts';
import type { GatewayContext, ListenerContext } from './gateway.ts';
import { corsOf, headerPoliciesOf, REQUEST_HEADERS, RESPONSE_HEADERS, retryOf } from './gloo-options.ts';
import { byAge, PolicyLedger, type Setting } from './policies.ts';
import { RATE_LIMIT_BASIC, RATE_LIMIT_CONFIGS, type RateLimitResolver } from './rate-limits.ts';
import { REF_NOT_PERMITTED } from './reference-grants.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import type { StatusEntry } from './status.ts';

type VirtualHostOption = Resource<VirtualHostOptionSpec>;

export type VirtualHostPolicies = Pick<VirtualHostIr, 'requestHeaders' | 'responseHeaders' | 'cors' | 'retry' | 'rateLimits' | 'auth'> & {
  /** The listener's extauth does not resolve: its routes without their own auth are denied (403). */
  authUnresolved?: true;
};

const SETTINGS: readonly Setting[] = [
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
  { name: 'cors', fields: ['cors'] },
  { name: 'retries', fields: ['retries'] },
  RATE_LIMIT_CONFIGS,
  RATE_LIMIT_BASIC,
  { name: 'extauth', fields: ['extauth'] },
];

export class VirtualHostOptionResolver {
  readonly #ledger: PolicyLedger;
  readonly #byListener = new Map<ListenerContext, VirtualHostPolicies>();

  constructor(index: ResourceIndex, gateways: readonly GatewayContext[], problems: FieldProblem[], rateLimits: RateLimitResolver, auth: AuthConfigResolver) {
    const reported = new Set<string>();
    const report = (option: VirtualHostOption) => (field: string, message: string, reason?: string) => {
      if (reported.has(`${resourceId(option)}|${field}`)) return;
      reported.add(`${resourceId(option)}|${field}`);
      this.#ledger.issue(option, field, message, reason);
      problems.push(problemAt(option, field, message));
    };
    this.#ledger = new PolicyLedger(index.virtualHostOptions, 'Gateway listener');
    const targeting = targetsOf(index, this.#ledger, problems);
    for (const gateway of gateways) {
      const aimed = targeting.filter((t) => t.gateway === gateway.key);
      for (const listener of gateway.listeners) {
        const forListener = aimed.filter((t) => t.sectionName === listener.spec.name).map((t) => t.option);
        const forGateway = aimed.filter((t) => t.sectionName === undefined).map((t) => t.option);
        const ordered = [...new Set([...forListener.sort(byAge), ...forGateway.sort(byAge)])];
        if (!ordered.length) continue;
        const where = `${resourceId(gateway.resource)} listener ${listener.spec.name}`;
        const winners = this.#ledger.settle(ordered, where, SETTINGS, () => undefined);
        const limits = rateLimits.policies(winners, (option, field, message, reason) => {
          this.#ledger.issue(option, field, message, reason);
          problems.push(problemAt(option, field, message));
        });
        const authOption = winners.get('extauth');
        const use = authOption && auth.use(authOption, authOption.spec.options?.extauth, where, report(authOption));
        this.#byListener.set(listener, {
          ...policiesOf((name) => winners.get(name)?.spec.options),
          ...(limits.length && { rateLimits: limits }),
          ...(use && ('ref' in use ? { auth: use.ref } : { authUnresolved: true as const })),
        });
      }
    }
  }

  forListener(listener: ListenerContext): VirtualHostPolicies {
    return this.#byListener.get(listener) ?? {};
  }

  statuses(): StatusEntry[] {
    return this.#ledger.statuses();
  }
}

interface Targeting {
  option: VirtualHostOption;
  /** `<namespace>/<name>` of the Gateway. */
  gateway: string;
  sectionName?: string;
}

/** Every targetRef that names an existing Gateway (and listener); the others are reported. */
function targetsOf(index: ResourceIndex, ledger: PolicyLedger, problems: FieldProblem[]): Targeting[] {
  return index.virtualHostOptions.flatMap((option) => {
    const { namespace } = option.metadata;
    return (option.spec.targetRefs ?? []).flatMap((ref, i): Targeting[] => {
      const report = (field: string, message: string, reason?: string) => {
        ledger.issue(option, field, message, reason);
        problems.push(problemAt(option, field, message));
        return [];
      };
      const field = `spec.targetRefs[${i}]`;
      if (ref.namespace !== undefined && ref.namespace !== namespace) {
        // Never across namespaces, grant or not (Gloo's targetRefs are local): checked before any lookup.
        return report(field, `a VirtualHostOption applies only to Gateways of its own namespace (${namespace}), not ${ref.namespace}`, REF_NOT_PERMITTED);
      }
      const gateway = index.gateways.find((g) => g.metadata.namespace === namespace && g.metadata.name === ref.name);
      if (!gateway) return report(field, `Gateway ${namespace}/${ref.name} not found`);
      if (ref.sectionName !== undefined && !gateway.spec.listeners.some((l) => l.name === ref.sectionName)) {
        return report(`${field}.sectionName`, `Gateway ${namespace}/${ref.name} has no listener named ${ref.sectionName}`);
      }
      return [{ option, gateway: `${namespace}/${ref.name}`, ...(ref.sectionName !== undefined && { sectionName: ref.sectionName }) }];
    });
  });
}

function policiesOf(pick: (name: string) => VirtualHostOptionSpec['options']): VirtualHostPolicies {
  const cors = pick('cors')?.cors;
  const corsPolicy = cors && corsOf(cors);
  const retries = pick('retries')?.retries;
  return {
    ...headerPoliciesOf(pick(REQUEST_HEADERS.name)?.headerManipulation, pick(RESPONSE_HEADERS.name)?.headerManipulation),
    ...(corsPolicy && { cors: corsPolicy }),
    ...(retries && { retry: retryOf(retries) }),
  };
}
