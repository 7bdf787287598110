// mesos-local's flags: Mesos's names and defaults (but --ip's), loaded with
// stout's rules from the command line and, for what it doesn't give, from
// MESOS_* variables, as Mesos's mesos-local loads them.
import type { FlagSpecs } from '../subcommand/flags';

export const localFlags = {
  ip: {
    type: 'string',
    help: "IP address to listen on. Mesos's default is the\nhost's address; here it is the loopback address, so\nthat nothing is served beyond this machine unasked.\n",
    default: '127.0.0.1',
  },
  port: { type: 'int', help: 'Port to listen on; 0 for any free port.', default: 5050 },
  work_dir: {
    type: 'string',
    help:
      'Where the cluster keeps everything: master/, and\n' +
      'agents/<i>/work and agents/<i>/run for agent i. It\n' +
      'stays when given. Without one, a fresh directory\n' +
      'under <TMPDIR or /tmp>/mesos/work is made and removed\n' +
      'on exit, so that several clusters can run at once\n' +
      '(Mesos uses that directory itself).',
  },
  num_slaves: { type: 'int', help: 'Number of agents to launch for local cluster\n', default: 1 },
} as const satisfies FlagSpecs;
