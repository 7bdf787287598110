// How the master puts text it was sent into its own messages: always one
// line, and bounded: a value quoted in a message is escaped like a JSON
// string and cut.
import { quoteValue } from '../subcommand/flags';

export function quote(value: string): string {
  return quoteValue(value);
}
