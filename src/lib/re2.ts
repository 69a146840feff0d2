// RE2 as Envoy runs it, for `portico validate` and the controller: whether a pattern compiles, and its program
// size, which Envoy compares with re2.max_program_size.error_level (100 unless its runtime says otherwise) before
// accepting a route, a CORS origin or a rewrite. No Node binding exposes the program size (node-re2 and the
// WASM builds stop at matching), so scripts/setup/re2.sh builds a small addon (native/re2-measure.cc) against
// the RE2 sources the npm package `re2` vendors. Without the addon the caller falls back to a syntax check in
// JavaScript and cannot measure: `re2Addon()` says which one is in use.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cacheRoot } from './binaries.ts';

/** Envoy's default `re2.max_program_size.error_level`: a larger program makes Envoy reject the resource. */
export const ENVOY_MAX_PROGRAM_SIZE = 100;

/** Said once at start by the controller and by `portico validate` when the addon is missing. */
export const RE2_MISSING = "the RE2 addon is not installed ('scripts/setup.sh re2'): regexes get a syntax check only, their program size is not measured, so Envoy may refuse one that Portico accepts";

export type Re2Measure = { programSize: number } | { error: string };

interface Addon {
  measure(pattern: string): Re2Measure;
}

let addon: Addon | null | undefined;
const cache = new Map<string, Re2Measure>();
/** Patterns repeat across resources and re-validations; the cache stays small enough to keep whole. */
const CACHE_MAX = 10_000;

/** Where the addon is looked for: $PORTICO_RE2_ADDON, else the set-up cache. */
export function re2AddonPath(): string {
  return process.env.PORTICO_RE2_ADDON ?? join(cacheRoot(), 'lib', 're2-measure.node');
}

/** The addon's path when it loaded, undefined when it is missing (then nothing is measured). */
export function re2Addon(): string | undefined {
  return load() ? re2AddonPath() : undefined;
}

/** How RE2 compiles `pattern`, or undefined when the addon is not installed. */
export function measureRe2(pattern: string): Re2Measure | undefined {
  const engine = load();
  if (!engine) return undefined;
  let result = cache.get(pattern);
  if (!result) {
    result = engine.measure(pattern);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(pattern, result);
  }
  return result;
}

function load(): Addon | null {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)(re2AddonPath()) as Addon;
    } catch {
      addon = null;
    }
  }
  return addon;
}
