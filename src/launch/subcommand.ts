import { defineSubcommand } from '../subcommand/dispatch';
import { complain } from '../subcommand/output';
import { launchFlags } from './flags';

export const launch = defineSubcommand({
  name: 'launch',
  flags: launchFlags,
  execute: () => {
    complain('launch: not implemented yet');
    return 1;
  },
});
