// Kubernetes label selectors (matchLabels AND matchExpressions); an empty selector selects everything.
import type { LabelSelector } from '../api/gateway-types.ts';

export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const pairs = Object.entries(selector.matchLabels ?? {});
  return pairs.every(([k, v]) => labels[k] === v) && (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(labels[e.key] as string);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(labels[e.key] as string);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}
