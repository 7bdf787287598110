// The one way an error message quotes a value, in its own module so that
// code far from the flags (the protobuf layer) can use it without loading
// them.

/** How much of a bad value an error message quotes. */
const QUOTE_LIMIT = 120;

/**
 * Renders `value` for an error message: escaped like a JSON string (so no raw
 * line breaks or control characters, nor the Unicode line separators JSON
 * leaves alone), cut to `limit` code points.
 */
export function quoteValue(value: string, limit = QUOTE_LIMIT): string {
  const escaped = JSON.stringify(value)
    .slice(1, -1)
    .replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const chars = Array.from(escaped);
  return chars.length > limit ? `${chars.slice(0, limit).join('')}...` : escaped;
}
