// Caps on what a status holds, applied to every status on its way to a target (status/writer.ts), so a garbage
// input (a 1 MB value quoted in a problem, thousands of problems) still gives a short, useful status and can be
// written (Consul takes at most 512 KB per value, and 512 KB per transaction). The translators join a resource's
// problems into a condition message with "; ": the first ones are kept, the rest counted ("and N more").
import { capText } from '../lib/text.ts';

export interface StatusCaps {
  /** Problems kept per message. */
  problems: number;
  /** Characters per problem. */
  problem: number;
  /** Characters of any other string (a reason, a name). */
  text: number;
}

export const STATUS_CAPS: StatusCaps = { problems: 10, problem: 512, text: 1024 };
/** What is kept when the usual caps still leave a status over MAX_STATUS_BYTES (many conditions, many parents). */
const TIGHT_CAPS: StatusCaps = { problems: 3, problem: 128, text: 128 };
/** A status larger than this (as JSON: close to its YAML, and cheap to measure) is cut down (tighter caps, then a stub that says so). */
export const MAX_STATUS_BYTES = 64 * 1024;

const PROBLEM_SEPARATOR = '; ';

/** The status with every message and string capped, and its rendered size within MAX_STATUS_BYTES. */
export function capStatus(status: Record<string, unknown>): Record<string, unknown> {
  const capped = capValue(status, STATUS_CAPS, '') as Record<string, unknown>;
  if (sizeOf(capped) <= MAX_STATUS_BYTES) return capped;
  const tight = capValue(status, TIGHT_CAPS, '') as Record<string, unknown>;
  if (sizeOf(tight) <= MAX_STATUS_BYTES) return tight;
  return { truncated: `the status is over Portico's cap of ${MAX_STATUS_BYTES / 1024} KB even with every message cut; the controller's /debug/statuses has it whole` };
}

/** A message's problems: the first `caps.problems`, each capped, then how many more there were. */
export function capMessage(message: string, caps: StatusCaps = STATUS_CAPS): string {
  const parts = message.split(PROBLEM_SEPARATOR);
  const kept = parts.slice(0, caps.problems).map((p) => capText(p, caps.problem));
  const more = parts.length - kept.length;
  return `${kept.join(PROBLEM_SEPARATOR)}${more ? `${PROBLEM_SEPARATOR}and ${more} more` : ''}`;
}

function capValue(value: unknown, caps: StatusCaps, key: string): unknown {
  if (typeof value === 'string') return key === 'message' ? capMessage(value, caps) : capText(value, caps.text);
  if (Array.isArray(value)) return value.map((v) => capValue(v, caps, ''));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [capText(k, caps.text), capValue(v, caps, k)]));
}

function sizeOf(status: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(status));
}
