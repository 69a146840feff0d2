// Which limits a request descriptor falls under, as envoyproxy/ratelimit decides it: walk the descriptor tree
// entry by entry, preferring the node with the entry's key and value over the key-only node (any value); a
// limit applies only when the last entry lands on a node that has one. Gloo's set-style rules match the
// remaining entries as a set. Compiled once per configuration into maps, so a lookup is a few Map.get calls.
import { UNIT_SECONDS, type DescriptorConfig, type DomainConfig, type LimitConfig, type SetDescriptorConfig } from '../contracts/ratelimit.ts';

export interface Entry {
  key: string;
  value: string;
}

/** A limit as applied: the configured one, its window length, and the rule attributes that decide whether it counts. */
export interface Rule {
  limit: LimitConfig;
  unitSeconds: number;
  shadowMode: boolean;
  weight: number;
  alwaysApply: boolean;
}

/** A rule a descriptor matched, with its counter key (without the window start). */
export interface Match {
  rule: Rule;
  key: string;
}

interface Node {
  rule?: Rule;
  children?: Level;
  sets?: SetRule[];
}

interface Level {
  /** `<key>\u0000<value>` */
  exact: Map<string, Node>;
  anyValue: Map<string, Node>;
}

interface SetRule {
  rule: Rule;
  index: number;
  wants: { key: string; value?: string }[];
}

interface Inherited {
  weight: number;
  alwaysApply: boolean;
}

export class DomainMatcher {
  readonly domain: string;
  readonly failureModeDeny: boolean;
  readonly #root: Level;

  constructor(config: DomainConfig) {
    this.domain = config.domain;
    this.failureModeDeny = config.failureModeDeny ?? false;
    this.#root = compileLevel(config.descriptors, { weight: 0, alwaysApply: false });
  }

  /** The rules one descriptor matches (at most one tree rule; set-style rules may add more). */
  match(entries: readonly Entry[]): Match[] {
    let level: Level | undefined = this.#root;
    let key = `${this.domain}_`;
    for (let i = 0; i < entries.length && level; i++) {
      const e = entries[i] as Entry;
      const node: Node | undefined = level.exact.get(`${e.key}\u0000${e.value}`) ?? level.anyValue.get(e.key);
      if (!node) return [];
      key += `${e.key}_${e.value}_`;
      const last = i === entries.length - 1;
      if (last) return node.rule ? [{ rule: node.rule, key }] : [];
      if (node.sets) return matchSets(node.sets, entries.slice(i + 1), key);
      level = node.children;
    }
    return [];
  }
}

/**
 * Keeps the matches that count: those of the highest weight among all the request's descriptors, and every
 * alwaysApply one. The others are not counted at all (Gloo's rule priority).
 */
export function byPriority(matches: Match[][]): Match[][] {
  let top = 0;
  for (const list of matches) for (const m of list) if (m.rule.weight > top) top = m.rule.weight;
  if (top === 0) return matches;
  return matches.map((list) => list.filter((m) => m.rule.weight === top || m.rule.alwaysApply));
}

function compileLevel(descriptors: readonly DescriptorConfig[], inherited: Inherited): Level {
  const level: Level = { exact: new Map(), anyValue: new Map() };
  for (const d of descriptors) {
    const own = { weight: d.weight ?? inherited.weight, alwaysApply: d.alwaysApply ?? inherited.alwaysApply };
    const node: Node = {
      ...(d.rateLimit && { rule: ruleOf(d.rateLimit, d.shadowMode, own) }),
      ...(d.descriptors?.length && { children: compileLevel(d.descriptors, own) }),
      ...(d.setDescriptors?.length && { sets: d.setDescriptors.map((s, index) => setRuleOf(s, index, own)) }),
    };
    // The first definition of a key/value wins, as in envoyproxy/ratelimit (which refuses duplicates).
    if (d.value === undefined) {
      if (!level.anyValue.has(d.key)) level.anyValue.set(d.key, node);
    } else if (!level.exact.has(`${d.key}\u0000${d.value}`)) {
      level.exact.set(`${d.key}\u0000${d.value}`, node);
    }
  }
  return level;
}

function ruleOf(limit: LimitConfig, shadowMode: boolean | undefined, inherited: Inherited): Rule {
  return { limit, unitSeconds: UNIT_SECONDS[limit.unit], shadowMode: shadowMode ?? false, ...inherited };
}

function setRuleOf(s: SetDescriptorConfig, index: number, inherited: Inherited): SetRule {
  return { rule: ruleOf(s.rateLimit, s.shadowMode, { weight: inherited.weight, alwaysApply: s.alwaysApply ?? false }), index, wants: s.simpleDescriptors };
}

/** The first set rule whose entries are all present (in any order), and every other matching alwaysApply rule. */
function matchSets(sets: readonly SetRule[], entries: readonly Entry[], prefix: string): Match[] {
  const out: Match[] = [];
  let first = true;
  for (const s of sets) {
    if (!first && !s.rule.alwaysApply) continue;
    const key = setKey(s, entries, prefix);
    if (key === undefined) continue;
    out.push({ rule: s.rule, key });
    first = false;
  }
  return out;
}

/** The counter key of a set rule (its index, then its entries in the rule's order), or undefined when one is missing. */
function setKey(s: SetRule, entries: readonly Entry[], prefix: string): string | undefined {
  let key = `${prefix}set${s.index}_`;
  for (const want of s.wants) {
    const found = entries.find((e) => e.key === want.key && (want.value === undefined || e.value === want.value));
    if (!found) return undefined;
    key += `${found.key}_${found.value}_`;
  }
  return key;
}
