// mesos-local: a master and its agents on this machine, in one process
// (./cluster.ts), until SIGINT, SIGTERM or SIGHUP. When ready it prints
// the master's URL; on the signal it kills its tasks, removes what it made
// and exits 0. Every failure is one line on stderr and exit status 1; a
// fault nothing caught stops the cluster the same way first.
//
// Differences from Mesos's mesos-local, on purpose:
// - --ip defaults to 127.0.0.1, not the host's address;
// - without --work_dir (or MESOS_WORK_DIR) the cluster works in a fresh
//   directory under <TMPDIR or /tmp>/mesos/work and removes it on exit;
// - a bad flag is one line, without the usage.
import { basename } from 'node:path';
import { FlagError, type Flags, flagsUsage, loadFlags } from '../subcommand/flags';
import { exitProcess } from '../subcommand/exit';
import { complain, writeAll } from '../subcommand/output';
import { LocalCluster } from './cluster';
import { environmentFlags } from './environment';
import { localFlags } from './flags';

type LocalFlags = Flags<typeof localFlags>;

const AGENT_VARIABLES = ['resources', 'hostname', 'cgroups_root', 'cgroups_enable_cfs', 'network_cni_config_dir', 'network_cni_plugins_dir'] as const;

/** The agent flags taken from MESOS_* variables, listed as flags are. */
function variablesUsage(): string {
  const names = AGENT_VARIABLES.map((name) => `MESOS_${name.toUpperCase()}`);
  const width = Math.max(...names.map((name) => name.length)) + 5;
  let text = '';
  for (const [index, name] of AGENT_VARIABLES.entries()) {
    const [first, ...rest] = environmentFlags[name].help.split('\n');
    text += `  ${names[index]!.padEnd(width)}${first}\n`;
    for (const line of rest) text += `  ${' '.repeat(width)}${line}\n`;
  }
  return text;
}

function usage(program: string): string {
  return (
    `Usage: ${program} [options]\n\n` +
    'Runs a Mesos master and its agents on this machine, in one process, until\n' +
    'SIGINT or SIGTERM; then kills their tasks and removes what it made.\n' +
    'Each flag may also be given as a MESOS_<NAME> variable.\n\n' +
    `${flagsUsage(localFlags)}\n` +
    "The agents take these flags of Mesos's agent from the environment:\n" +
    variablesUsage()
  );
}

class UsageError extends Error {}

function checkFlags(flags: LocalFlags): void {
  if (flags.port < 0 || flags.port > 65535) {
    throw new UsageError(`Failed to load flag 'port': Failed to load value '${flags.port}': Failed to convert '${flags.port}' to number`);
  }
  if (flags.num_slaves < 0) {
    throw new UsageError(`Failed to load flag 'num_slaves': Failed to load value '${flags.num_slaves}': Expecting 0 or more agents`);
  }
}

function loadLocalFlags(argv: readonly string[]): LocalFlags | 'help' {
  let flags: LocalFlags;
  try {
    flags = loadFlags(localFlags, argv, process.env, 'MESOS_');
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    // --help wins over a bad flag, as in Mesos.
    if (argv.some((word) => /^--help(=(true|1))?$/i.test(word.trim()))) return 'help';
    throw new UsageError(error.message);
  }
  if (flags.help) return 'help';
  checkFlags(flags);
  return flags;
}

/** What ends the cluster: a signal, or a fault nothing else caught (said at once). */
type End = 'signal' | 'fault';

/** Resolves with the first end, from now on; what comes during the stop changes nothing. */
function firstEnd(): Promise<End> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve('signal'));
    const fault = (error: unknown) => {
      complain(error instanceof Error ? error.message : String(error));
      resolve('fault');
    };
    // The tasks must not outlive the process, whatever went wrong in it.
    process.on('uncaughtException', fault);
    process.on('unhandledRejection', fault);
  });
}

async function run(program: string, argv: readonly string[]): Promise<number> {
  const flags = loadLocalFlags(argv);
  if (flags === 'help') {
    writeAll(1, `${usage(program)}\n`);
    return 0;
  }
  let endedEarly = false;
  const ended = firstEnd().then((end) => {
    endedEarly = true;
    return end;
  });
  let failures = 0;
  let stopping = false;
  const warn = (message: string) => {
    if (stopping) failures++;
    complain(message);
  };
  const cluster = await LocalCluster.start({
    ip: flags.ip,
    port: flags.port,
    numAgents: flags.num_slaves,
    ...(flags.work_dir === undefined ? {} : { workDir: flags.work_dir }),
    warn,
  });
  // Ended while starting: stop without announcing.
  if (!endedEarly) writeAll(1, `Master started at ${cluster.url}\n`);
  const end = await ended;
  stopping = true;
  await cluster.stop();
  return end === 'signal' && failures === 0 ? 0 : 1;
}

async function main(): Promise<void> {
  const program = basename(process.argv[1] ?? 'mesos-local');
  let code: number;
  try {
    code = await run(program, process.argv.slice(2));
  } catch (error) {
    complain(error instanceof Error ? error.message : String(error));
    code = 1;
  }
  exitProcess(code);
}

void main();
