// `mount --operation=make-rslave --path=P`: the agent uses it to make a path
// receive, but never send back, mount events.
import { MS_REC, MS_SLAVE, mount as mountCall } from '../../native/libc';
import { defineSubcommand } from '../subcommand/dispatch';
import { complain } from '../subcommand/output';

export const MAKE_RSLAVE = 'make-rslave';

export const mountFlags = {
  operation: { type: 'string', help: 'The mount operation to apply.' },
  path: { type: 'string', help: 'The path to apply mount operation to.' },
} as const;

/** The one libc call `mount` makes, so tests can hand in a stand-in. */
export type MakeRslave = (path: string) => void;

export function runMount(
  flags: { operation?: string | undefined; path?: string | undefined },
  makeRslave: MakeRslave = (path) => mountCall(null, path, null, MS_SLAVE | MS_REC),
): number {
  if (flags.operation === undefined) {
    complain('Flag --operation is not specified');
    return 1;
  }
  if (flags.operation !== MAKE_RSLAVE) {
    complain(`Unsupported mount operation '${flags.operation}'`);
    return 1;
  }
  if (flags.path === undefined) {
    complain(`Flag --path is required for ${MAKE_RSLAVE}`);
    return 1;
  }
  try {
    makeRslave(flags.path);
  } catch (error) {
    complain(`Failed to mark rslave with path '${flags.path}': ${(error as Error).message}`);
    return 1;
  }
  return 0;
}

export const mount = defineSubcommand({
  name: 'mount',
  flags: mountFlags,
  execute: (flags) => runMount(flags),
});
