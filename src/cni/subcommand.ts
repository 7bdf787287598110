import { defineSubcommand } from '../subcommand/dispatch';
import { complain } from '../subcommand/output';
import { networkCniSetupFlags } from './flags';

export const networkCniSetup = defineSubcommand({
  name: 'network-cni-setup',
  flags: networkCniSetupFlags,
  execute: () => {
    complain('network-cni-setup: not implemented yet');
    return 1;
  },
});
