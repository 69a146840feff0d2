// Gateway API hostname semantics: a wildcard `*.example.com` stands for one or more labels in front of
// `.example.com` (never `example.com` itself); a Route's hostnames are intersected with its Listener's; and
// a request goes to the most specific Listener on its port (listener isolation).

/** Does the wildcard `*.suffix` cover `host`? (`host` may itself be a narrower wildcard.) */
export function wildcardCovers(wildcard: string, host: string): boolean {
  const suffix = wildcard.slice(1); // `.example.com`
  return wildcard.startsWith('*.') && host.endsWith(suffix) && host.length > suffix.length;
}

/** The hostnames a Route serves on a Listener: a Route without hostnames takes the Listener's (or every host). */
export function intersectHostnames(listener: string | undefined, route: readonly string[]): string[] {
  if (route.length === 0) return [listener ?? '*'];
  const out = new Set<string>();
  for (const host of route) {
    const both = intersect(listener, host);
    if (both) out.add(both);
  }
  return [...out];
}

function intersect(listener: string | undefined, host: string): string | undefined {
  if (listener === undefined || listener === host) return host;
  if (wildcardCovers(listener, host)) return host; // the route is narrower
  if (wildcardCovers(host, listener)) return listener; // the listener is narrower
  return undefined;
}

/**
 * How specifically a listener hostname claims `host`: exact beats a longer wildcard beats a shorter one beats
 * no hostname at all; undefined when it does not claim it.
 */
export function claimStrength(listener: string | undefined, host: string): number | undefined {
  if (listener === undefined) return 0;
  if (listener === host) return Number.MAX_SAFE_INTEGER;
  return wildcardCovers(listener, host) ? listener.length : undefined;
}

/** Virtual host order: exact hosts, then wildcards from the longest suffix, then the catch-all `*`. */
export function compareHostSpecificity(a: string, b: string): number {
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function rank(host: string): number {
  if (host === '*') return Number.MAX_SAFE_INTEGER;
  return host.startsWith('*.') ? 1_000 - host.length : 0;
}
