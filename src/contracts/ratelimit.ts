// The rate-limit service's configuration: per domain, a tree of descriptors as envoyproxy/ratelimit defines
// them (key, optional value, a limit, nested descriptors, shadow mode) plus Gloo's additions (weight and
// alwaysApply on a rule, set-style rules). The controller sends it as JSON on the service config stream
// (app/pipeline.ts builds it, src/ratelimit/items.ts reads it back); `portico ratelimit --config-file` reads envoyproxy/ratelimit's own YAML.
import { RateLimitError } from '../lib/errors.ts';

export const UNITS = ['second', 'minute', 'hour', 'day'] as const;
export type Unit = (typeof UNITS)[number];

export const UNIT_SECONDS: Readonly<Record<Unit, number>> = { second: 1, minute: 60, hour: 3600, day: 86_400 };

export interface LimitConfig {
  requestsPerUnit: number;
  unit: Unit;
}

/** One node of the descriptor tree: matched by key and value (no value: any value of the key). */
export interface DescriptorConfig {
  key: string;
  value?: string;
  rateLimit?: LimitConfig;
  descriptors?: DescriptorConfig[];
  /**
   * Set-style rules for the entries after this node (Gloo's setDescriptors): each rule names entries that must
   * all be present, in any order; the first rule that matches applies, and every matching alwaysApply rule.
   */
  setDescriptors?: SetDescriptorConfig[];
  /** On a rule (a top-level descriptor of a RateLimitConfig): only the matched rules of the highest weight count. */
  weight?: number;
  alwaysApply?: boolean;
  /** Count and report, never deny. */
  shadowMode?: boolean;
}

export interface SetDescriptorConfig {
  simpleDescriptors: { key: string; value?: string }[];
  rateLimit: LimitConfig;
  alwaysApply?: boolean;
  shadowMode?: boolean;
}

/** Everything the service needs for one domain (the service config stream's item config). */
export interface DomainConfig {
  domain: string;
  descriptors: DescriptorConfig[];
  /** Redis unreachable: answer with an error (Envoy's failure_mode_deny turns it into a denial) instead of OK. */
  failureModeDeny?: boolean;
}

/** Checks a domain config that arrived as JSON; throws RateLimitError naming the first bad field. */
export function checkDomainConfig(value: unknown, where: string): DomainConfig {
  const c = value as Partial<DomainConfig>;
  if (!c || typeof c.domain !== 'string' || !c.domain) throw new RateLimitError(`${where}: domain must be a non-empty string`);
  if (!Array.isArray(c.descriptors)) throw new RateLimitError(`${where}: descriptors must be a list`);
  c.descriptors.forEach((d, i) => checkDescriptor(d, `${where}.descriptors[${i}]`));
  return c as DomainConfig;
}

function checkDescriptor(d: DescriptorConfig, where: string): void {
  if (!d || typeof d.key !== 'string' || !d.key) throw new RateLimitError(`${where}.key must be a non-empty string`);
  if (d.value !== undefined && typeof d.value !== 'string') throw new RateLimitError(`${where}.value must be a string`);
  if (d.rateLimit) checkLimit(d.rateLimit, `${where}.rateLimit`);
  d.descriptors?.forEach((n, i) => checkDescriptor(n, `${where}.descriptors[${i}]`));
  d.setDescriptors?.forEach((s, i) => {
    if (!Array.isArray(s.simpleDescriptors) || !s.simpleDescriptors.length) throw new RateLimitError(`${where}.setDescriptors[${i}].simpleDescriptors must not be empty`);
    checkLimit(s.rateLimit, `${where}.setDescriptors[${i}].rateLimit`);
  });
}

function checkLimit(l: LimitConfig, where: string): void {
  if (!l || !Number.isInteger(l.requestsPerUnit) || l.requestsPerUnit < 0) throw new RateLimitError(`${where}.requestsPerUnit must be a whole number`);
  if (!UNITS.includes(l.unit)) throw new RateLimitError(`${where}.unit must be one of ${UNITS.join(', ')} (got ${String(l.unit)})`);
}
