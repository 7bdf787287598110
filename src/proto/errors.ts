// The one error the protobuf layer throws: bad JSON, bad bytes, a bad
// RecordIO stream, or a message that can't be written. Its message is one
// line, quoting input escaped and cut short, so it can be sent or printed
// as it is.
import { quoteValue } from '../subcommand/quote';

export class ProtoError extends Error {
  override readonly name = 'ProtoError';

  /** @param path The field the error is about (`task_infos[0].agent_id`), when there is one. */
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** How many code points of an input value a message quotes. */
export const QUOTE_LIMIT = 80;

/** `value` for a message: escaped, one line, cut after QUOTE_LIMIT code points. */
export function quote(value: string): string {
  return quoteValue(value, QUOTE_LIMIT);
}

/**
 * A stretch of input shown as it is (picojson's "near: ..."): control
 * characters and line separators dropped, cut after QUOTE_LIMIT code points.
 */
export function clip(text: string): string {
  const window = 4 * QUOTE_LIMIT;
  const chars = Array.from(text.slice(0, window).replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, ''));
  const cut = chars.length > QUOTE_LIMIT || text.length > window;
  return cut ? `${chars.slice(0, QUOTE_LIMIT).join('')}...` : chars.join('');
}

/**
 * A field's path for a message, cut in the middle when very long (values
 * nested deep in arrays make paths of any length).
 */
export function shown(path: string): string {
  return path.length <= 200 ? path : `${path.slice(0, 90)}...${path.slice(-90)}`;
}

/** The message of anything thrown, as one line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/[\r\n\u2028\u2029\u0085]+/g, ' ').slice(0, 500);
}
