// Bounding text that comes from user input or a component's answer before it lands in a status, a log or a
// NACK: the start is what says what went wrong, and the rest only makes the record large.

/** `text` when it has at most `max` characters; else its first `max` characters and how many were left out. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never cut a surrogate pair in half: the half would not encode.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}
