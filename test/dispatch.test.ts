// The dispatcher as an agent meets it: the built program, spawned.
import t from 'tap';
import { cleanEnv, containerizer } from './helpers/run';

const USAGE = [
  'Usage: mesos-containerizer <subcommand> [OPTIONS]',
  '',
  'Available subcommands:',
  '    help',
  '    launch',
  '    mount',
  '    network-cni-setup',
  '',
  '',
].join('\n');

t.test('no subcommand: usage on stderr, exit 1', async (t) => {
  const result = containerizer([]);
  t.equal(result.code, 1);
  t.equal(result.stderr, USAGE);
  t.equal(result.stdout, '');
});

t.test('help: usage on stdout, exit 0', async (t) => {
  const result = containerizer(['help']);
  t.equal(result.code, 0);
  t.equal(result.stdout, USAGE);
  t.equal(result.stderr, '');
});

t.test('an unknown subcommand is named, then usage, exit 1', async (t) => {
  const result = containerizer(['frobnicate', '--x=1']);
  t.equal(result.code, 1);
  t.equal(result.stderr, `Subcommand 'frobnicate' is not available\n${USAGE}`);
  const viaHelp = containerizer(['help', 'frobnicate']);
  t.equal(viaHelp.code, 1);
  t.match(viaHelp.stderr, /^Subcommand 'frobnicate' is not available\n/);
});

t.test('help X is X --help; every subcommand has --help', async (t) => {
  for (const name of ['launch', 'mount', 'network-cni-setup']) {
    const direct = containerizer([name, '--help']);
    const viaHelp = containerizer(['help', name]);
    t.equal(direct.code, 0, `${name} --help exits 0`);
    t.equal(viaHelp.code, 0, `help ${name} exits 0`);
    t.equal(viaHelp.stdout, direct.stdout, `help ${name} prints what ${name} --help does`);
    t.match(direct.stdout, new RegExp(`^Usage: mesos-containerizer ${name} \\[OPTIONS\\]\\n\\n`));
    t.match(direct.stdout, /  --\[no-\]help +Prints this help message \(default: false\)\n/);
  }
});

t.test('--help lists the complete flag sets', async (t) => {
  const launch = containerizer(['launch', '--help']).stdout;
  for (const flag of [
    'launch_info', 'pipe_read', 'pipe_write', 'runtime_directory', 'namespace_mnt_target', 'tty_slave_path',
    'command', 'working_directory', 'rootfs', 'user', 'pre_exec_commands',
  ]) {
    t.match(launch, new RegExp(`\\n  --${flag}=VALUE `), `launch has --${flag}`);
  }
  t.match(launch, /\n  --\[no-\]unshare_namespace_mnt +.*\(default: false\)\n/);
  const cni = containerizer(['network-cni-setup', '--help']).stdout;
  for (const flag of ['pid', 'hostname', 'rootfs', 'etc_hosts_path', 'etc_hostname_path', 'etc_resolv_conf']) {
    t.match(cni, new RegExp(`\\n  --${flag}=VALUE `), `network-cni-setup has --${flag}`);
  }
  t.match(cni, /\n  --\[no-\]bind_host_files +[^]*?\(default: false\)\n/);
  t.match(cni, /\n  --\[no-\]bind_readonly +[^]*?\(default: false\)\n/);
  const mount = containerizer(['mount', '--help']).stdout;
  t.match(mount, /\n  --operation=VALUE +/);
  t.match(mount, /\n  --path=VALUE +/);
});

t.test('flag errors are one line prefixed "Failed to parse the flags: ", exit 1', async (t) => {
  const cases: Array<[string[], string]> = [
    [['mount', '--bogus'], "Failed to load unknown flag 'bogus'"],
    [['mount', '--no-path'], "Failed to load non-boolean flag 'path' via 'no-path'"],
    [['mount', '--path'], "Failed to load non-boolean flag 'path': Missing value"],
    [['mount', '--path=a', '--path=b'], "Flag 'path' is already loaded via name 'path'"],
    [['mount', '--no-help', '--help'], "Flag 'help' is already loaded via name 'help'"],
  ];
  for (const [args, message] of cases) {
    const result = containerizer(args);
    t.equal(result.code, 1, args.join(' '));
    t.equal(result.stderr, `Failed to parse the flags: ${message}\n`, args.join(' '));
  }
});

t.test('flags come from MESOS_CONTAINERIZER_* too; the command line wins', async (t) => {
  const fromEnv = containerizer(['mount'], { env: cleanEnv({ MESOS_CONTAINERIZER_OPERATION: 'bogus-op' }) });
  t.equal(fromEnv.stderr, "Unsupported mount operation 'bogus-op'\n");
  const lower = containerizer(['mount'], { env: cleanEnv({ MESOS_CONTAINERIZER_operation: 'lower-op' }) });
  t.equal(lower.stderr, "Unsupported mount operation 'lower-op'\n");
  const both = containerizer(['mount', '--operation=cli-op'], {
    env: cleanEnv({ MESOS_CONTAINERIZER_OPERATION: 'env-op' }),
  });
  t.equal(both.stderr, "Unsupported mount operation 'cli-op'\n");
  const help = containerizer(['mount'], { env: cleanEnv({ MESOS_CONTAINERIZER_HELP: 'true' }) });
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: mesos-containerizer mount/);
});
