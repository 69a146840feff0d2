// The two duration formats of the kinds Portico reads. Gateway API Duration (GEP-2257): one to four
// `<1-5 digits><unit>` parts, units h, m, s and ms, e.g. `1h`, `2m30s`, `500ms`, `0s`. Gloo's kinds use
// protobuf JSON durations: seconds with up to 9 decimals, e.g. `5s`, `0.25s`. Both the validators and the
// gateway translator read durations here.

export const DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** The duration in milliseconds, or undefined when `text` is absent or not a Gateway API Duration. */
export function durationMs(text: string | undefined): number | undefined {
  if (text === undefined || !DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const [, digits, unit] of text.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(digits) * (UNIT_MS[unit as string] ?? 0);
  return total;
}

// Gloo's durations are protobuf JSON durations: seconds with up to nine decimals and an `s`, e.g. `5s`, `0.25s`.
export const PROTO_DURATION_PATTERN = /^[0-9]{1,10}(\.[0-9]{1,9})?s$/;

/** The protobuf duration in milliseconds (fractions of a millisecond rounded), or undefined when absent or malformed. */
export function protoDurationMs(text: string | undefined): number | undefined {
  if (text === undefined || !PROTO_DURATION_PATTERN.test(text)) return undefined;
  return Math.round(Number(text.slice(0, -1)) * 1000);
}
