// mesos-containerizer: the helper a Mesos agent runs to become a container.
import { basename } from 'node:path';
import { dispatch, type Subcommand } from './subcommand/dispatch';
import { complain } from './subcommand/output';
import { launch } from './launch/subcommand';
import { mount } from './mount/subcommand';
import { networkCniSetup } from './cni/subcommand';

const SUBCOMMANDS: readonly Subcommand[] = [launch, mount, networkCniSetup];

async function main(): Promise<void> {
  const program = basename(process.argv[1] ?? 'mesos-containerizer');
  let code: number;
  try {
    code = await dispatch(program, process.argv.slice(2), process.env, SUBCOMMANDS);
  } catch (error) {
    complain(error instanceof Error ? error.message : String(error));
    code = 1;
  }
  process.exit(code);
}

void main();
