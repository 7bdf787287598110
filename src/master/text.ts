// How the master puts text it was sent into its own messages: always one
// line, and bounded. A value quoted in a message is escaped like a JSON
// string and cut (quote); a stretch of the sender's text shown as is has
// its control characters and line separators dropped and is cut (clip).
import { quoteValue } from '../subcommand/flags';

const CLIP_LIMIT = 120;

export function quote(value: string): string {
  return quoteValue(value);
}

export function clip(text: string, limit = CLIP_LIMIT): string {
  const chars = Array.from(text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, ''));
  return chars.length > limit ? `${chars.slice(0, limit).join('')}...` : chars.join('');
}
