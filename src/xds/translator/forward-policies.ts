// What a forwarding route adds besides its clusters: request mirrors, timeouts, retries and hash policies.
import type { ForwardActionIr, HashPolicyIr, MirrorIr, RetryIr, TimeoutsIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { duration } from './config-source.ts';

export function forwardPolicies(action: ForwardActionIr): XdsObject {
  return { ...mirrorPolicies(action.mirrors ?? []), ...timeoutsAndRetry(action.timeouts, action.retry), ...hashPolicies(action.hashPolicies ?? []) };
}

function hashPolicies(policies: HashPolicyIr[]): XdsObject {
  if (!policies.length) return {};
  return { hash_policy: policies.map(hashPolicy) };
}

function hashPolicy(p: HashPolicyIr): XdsObject {
  const terminal = p.terminal ? { terminal: true } : {};
  if ('header' in p) return { header: { header_name: p.header }, ...terminal };
  if ('cookie' in p) {
    const { name, ttlMs, path } = p.cookie;
    return { cookie: { name, ...(ttlMs !== undefined && { ttl: duration(ttlMs) }), ...(path !== undefined && { path }) }, ...terminal };
  }
  return { connection_properties: { source_ip: true }, ...terminal };
}

function mirrorPolicies(mirrors: MirrorIr[]): XdsObject {
  if (!mirrors.length) return {};
  return {
    request_mirror_policies: mirrors.map((m) => ({
      cluster: m.cluster,
      ...(m.fraction && { runtime_fraction: { default_value: fractionalPercent(m.fraction.numerator, m.fraction.denominator) } }),
    })),
  };
}

const DENOMINATORS: Record<number, string> = { 100: 'HUNDRED', 10_000: 'TEN_THOUSAND', 1_000_000: 'MILLION' };

/** Envoy takes only these three denominators; any other fraction is scaled to millionths. */
export function fractionalPercent(numerator: number, denominator: number): XdsObject {
  const named = DENOMINATORS[denominator];
  return named ? { numerator, denominator: named } : { numerator: Math.round((numerator * 1_000_000) / denominator), denominator: 'MILLION' };
}

/**
 * Envoy's route `timeout` spans the whole exchange, retries included, and `per_try_timeout` one attempt.
 * Without retries there is one attempt, so the route timeout is the tighter of request and backendRequest
 * (as Envoy Gateway does); with retries, request bounds them all and backendRequest each. 0 is "no limit"
 * both in the Gateway API and in Envoy.
 */
function timeoutsAndRetry(timeouts: TimeoutsIr | undefined, retry: RetryIr | undefined): XdsObject {
  const { requestMs, backendRequestMs } = timeouts ?? {};
  if (retry) {
    return { ...(requestMs !== undefined && { timeout: duration(requestMs) }), retry_policy: retryPolicy(retry, backendRequestMs) };
  }
  const limits = [requestMs, backendRequestMs].filter((ms) => ms !== undefined);
  if (!limits.length) return {};
  const finite = limits.filter((ms) => ms > 0);
  return { timeout: duration(finite.length ? Math.min(...finite) : 0) };
}

/**
 * The spec asks for retries where the backend never saw the request (connection refused or failed, stream
 * refused) and on the listed codes, but not by default on resets after the request was sent, which are
 * unsafe to repeat. An attempt cut by backendRequest should be retried too, and Envoy counts that timeout
 * as a `reset`: so with a backendRequest timeout, resets are retried as well (documented in the README).
 */
export function retryPolicy(retry: RetryIr, backendRequestMs?: number): XdsObject {
  const perTryMs = retry.perTryTimeoutMs ?? backendRequestMs;
  const derived = ['connect-failure', 'refused-stream', ...(perTryMs ? ['reset'] : []), ...(retry.codes.length ? ['retriable-status-codes'] : [])];
  return {
    retry_on: retry.retryOn ?? derived.join(','),
    ...(retry.codes.length && { retriable_status_codes: retry.codes }),
    ...(retry.attempts !== undefined && { num_retries: retry.attempts }),
    ...backOff(retry),
    ...(perTryMs ? { per_try_timeout: duration(perTryMs) } : {}),
  };
}

/** Envoy requires a base interval above zero (and rounds anything below 1ms up to 1ms); the maximum needs the base. */
function backOff(retry: RetryIr): XdsObject {
  if (retry.backoffMs === undefined && retry.maxBackoffMs === undefined) return {};
  const base = Math.max(retry.backoffMs ?? 25, 1); // 25ms is Envoy's own default base interval
  const max = retry.maxBackoffMs === undefined ? {} : { max_interval: duration(Math.max(retry.maxBackoffMs, base)) };
  return { retry_back_off: { base_interval: duration(base), ...max } };
}
