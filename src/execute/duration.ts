// Durations written the way stout reads them: a number and a unit with
// nothing between, e.g. "10secs", "1.5mins", "250ms".

const NANOSECONDS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['ns', 1],
  ['us', 1e3],
  ['ms', 1e6],
  ['secs', 1e9],
  ['mins', 60e9],
  ['hrs', 3600e9],
  ['days', 86400e9],
  ['weeks', 604800e9],
]);

export class DurationError extends Error {}

/** Parses a stout duration; returns milliseconds. Throws DurationError with stout's words. */
export function parseDuration(text: string): number {
  const unitAt = text.search(/[^0-9.]/);
  if (unitAt === -1) throw new DurationError(`Invalid duration '${text}'`);
  const number = text.slice(0, unitAt);
  const value = /^(\d+\.?\d*|\.\d+)$/.test(number) ? Number(number) : Number.NaN;
  if (!Number.isFinite(value)) throw new DurationError(`Failed to convert '${number}' to number`);
  const unit = text.slice(unitAt);
  const scale = NANOSECONDS_PER_UNIT.get(unit);
  if (scale === undefined) throw new DurationError(`Unknown duration unit '${unit}'`);
  return (value * scale) / 1e6;
}
