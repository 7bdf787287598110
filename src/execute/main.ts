// mesos-execute: a framework that runs one task and reports its status
// updates. With --master=local (the only master supported so far) the task
// runs on this machine through the embedded agent (./agent.ts), which uses
// our mesos-containerizer exactly as a Mesos agent does.
//
// Differences from Mesos's mesos-execute, on purpose:
// - the exit status says how the task ended: 0 for TASK_FINISHED, 1 for
//   anything else (Mesos's always exits 0 once the task is over);
// - --master defaults to 'local', and any other master is refused;
// - SIGINT and SIGTERM kill the task (TASK_KILLED) instead of leaving it;
// - --rootfs and --user are ours; flags that can't be honoured are refused.
import { availableParallelism, totalmem } from 'node:os';
import { basename } from 'node:path';
import { FlagError, type Flags, flagsUsage, loadFlags, type JsonObject, quoteValue } from '../subcommand/flags';
import { complain, writeAll } from '../subcommand/output';
import { launchTask, type Task, TaskOptionsError, type TaskOptions, type TaskRLimit, type TaskStatus } from './agent';
import { DurationError, parseDuration } from './duration';
import { executeFlags, REFUSED_FLAGS } from './flags';
import { formatResources, parseResources, ResourcesError, type TaskResources } from './resources';
import { randomUuid } from '../agent/uuid';

type ExecuteFlags = Flags<typeof executeFlags>;

const ABOUT =
  'Runs one task and reports its status updates. With --master=local the task\n' +
  'runs on this machine, through an embedded agent and mesos-containerizer.\n' +
  'Exits 0 when the task finished (TASK_FINISHED) and 1 otherwise; Mesos\'s own\n' +
  'mesos-execute exits 0 whatever became of the task.';

function usage(program: string): string {
  return `Usage: ${program} [options]\n\n${ABOUT}\n\n${flagsUsage(executeFlags)}`;
}

/** A mistake in the flags: said with the usage, as Mesos does. */
class UsageError extends Error {}
/** Something asked for that can't be done: one line. */
class Refusal extends Error {}

function line(text: string): void {
  writeAll(1, `${text}\n`);
}

function loadError(flag: string, value: string, reason: string): UsageError {
  return new UsageError(`Failed to load flag '${flag}': Failed to load value '${quoteValue(value)}': ${reason}`);
}

function checkFlags(flags: ExecuteFlags): void {
  if (flags.task !== undefined || flags.task_group !== undefined) {
    if (flags.task !== undefined && flags.task_group !== undefined) {
      throw new UsageError("Either task or task group should be set but not both. Provide either '--task' OR '--task_group'");
    }
  } else {
    if (flags.name === undefined) throw new UsageError('Missing required option --name');
    if (flags.command === undefined) throw new UsageError('Missing required option --command');
  }
  for (const [name, why] of REFUSED_FLAGS) {
    if (flags[name] !== undefined) throw new Refusal(`Flag --${name} is not supported yet: ${why}`);
  }
  if (flags.master !== 'local') {
    throw new Refusal(`--master=${flags.master} is not supported yet: only --master=local (an embedded master and agent) is`);
  }
  if (!['json', 'protobuf', 'application/json', 'application/x-protobuf'].includes(flags.content_type)) {
    throw new Refusal(`Invalid content type '${flags.content_type}'`);
  }
  if (flags.containerizer === 'docker') throw new Refusal('Flag --containerizer=docker is not supported yet: tasks run in the Mesos containerizer');
  if (flags.containerizer !== 'mesos') throw new Refusal(`Unsupported containerizer: ${flags.containerizer}`);
  if (flags.role !== '*') throw new Refusal(`Flag --role=${flags.role} is not supported yet: the embedded agent only offers role '*'`);
  if (flags.checkpoint) throw new Refusal('Flag --checkpoint is not supported yet: the embedded agent does not recover tasks');
  if (flags.tty) throw new Refusal('Flag --tty is not supported yet: the task gets no terminal');
  if (process.getuid?.() !== 0) throw new Refusal('The embedded agent needs root: it makes namespaces, mounts and cgroups');
}

function environmentOf(value: JsonObject | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const environment: Record<string, string> = {};
  for (const [name, variable] of Object.entries(value)) {
    if (typeof variable !== 'string') throw loadError('env', JSON.stringify(value), `The value of '${name}' is not a string`);
    environment[name] = variable;
  }
  return environment;
}

function capabilitiesOf(flag: string, value: JsonObject | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = value['capabilities'] ?? [];
  if (!Array.isArray(list) || !list.every((name): name is string => typeof name === 'string')) {
    throw loadError(flag, JSON.stringify(value), "'capabilities' must be an array of capability names");
  }
  return list;
}

function rlimitsOf(value: JsonObject | undefined): TaskRLimit[] | undefined {
  if (value === undefined) return undefined;
  const list = value['rlimits'] ?? [];
  const bad = () => loadError('rlimits', JSON.stringify(value), "'rlimits' must be an array of {\"type\", \"soft\", \"hard\"} objects");
  if (!Array.isArray(list)) throw bad();
  return list.map((entry) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || typeof entry['type'] !== 'string') throw bad();
    const bound = (name: string) => {
      const given = entry[name];
      if (given === undefined || given === null) return {};
      if (typeof given !== 'number' && typeof given !== 'string') throw bad();
      return { [name]: given };
    };
    return { type: entry['type'], ...bound('soft'), ...bound('hard') };
  });
}

/** What an agent on this machine would offer, as Mesos's agent works it out. */
function agentCapacity(): Required<Pick<TaskResources, 'cpus' | 'mem'>> {
  const totalMb = Math.floor(totalmem() / (1024 * 1024));
  // Mesos leaves the system 1GB, or half the memory of a small machine.
  return { cpus: availableParallelism(), mem: totalMb >= 2048 ? totalMb - 1024 : Math.floor(totalMb / 2) };
}

function resourcesOf(text: string): TaskResources {
  let resources: TaskResources;
  try {
    resources = parseResources(text);
  } catch (error) {
    if (error instanceof ResourcesError) throw new Refusal(`Failed to parse resources '${text}': ${error.message}`);
    throw error;
  }
  const capacity = agentCapacity();
  if ((resources.cpus ?? 0) > capacity.cpus || (resources.mem ?? 0) > capacity.mem) {
    // Mesos's mesos-execute would wait for a big enough offer forever.
    throw new Refusal(`The local agent can't offer '${formatResources(resources)}': it has '${formatResources(capacity)}'`);
  }
  return resources;
}

function taskOptions(flags: ExecuteFlags, agentId: string, onStatus: (status: TaskStatus) => void): TaskOptions {
  const name = flags.name!;
  const command = flags.command!;
  const words = command.trim().split(/\s+/).filter((word) => word !== '');
  if (!flags.shell && words.length === 0) throw new UsageError('Missing required option --command');
  const environment = environmentOf(flags.env);
  const effective = capabilitiesOf('effective_capabilities', flags.effective_capabilities);
  const bounding = capabilitiesOf('bounding_capabilities', flags.bounding_capabilities);
  const rlimits = rlimitsOf(flags.rlimits);
  return {
    name,
    ...(flags.shell ? { command } : { command: words[0]!, shell: false, arguments: words }),
    ...(environment === undefined ? {} : { environment }),
    resources: resourcesOf(flags.resources),
    ...(flags.rootfs === undefined ? {} : { rootfs: flags.rootfs }),
    ...(flags.user === undefined ? {} : { user: flags.user }),
    ...(effective === undefined ? {} : { effectiveCapabilities: effective }),
    ...(bounding === undefined ? {} : { boundingCapabilities: bounding }),
    ...(rlimits === undefined ? {} : { rlimits }),
    agentId,
    onStatus,
  };
}

/** A launch info path ("task.rlimits.rlimits[0]: ...") in the terms of the flag that set it. */
function flagTerms(message: string): string {
  const flag = /\btask\.(effective_capabilities|bounding_capabilities|rlimits)\b\.?/.exec(message);
  if (flag === null) return message;
  return `Invalid --${flag[1]}: ${message.replace(flag[0], '')}`;
}

function printStatus(status: TaskStatus): void {
  line(`Received status update ${status.state} for task '${status.taskId}'`);
  if (status.message !== undefined) line(`  message: '${status.message}'`);
  line(`  source: ${status.source}`);
  if (status.reason !== undefined) line(`  reason: ${status.reason}`);
  if (status.limitation?.mem !== undefined) line(`  resource limit violation: mem:${status.limitation.mem}`);
}

async function execute(program: string, argv: readonly string[]): Promise<number> {
  let flags: ExecuteFlags;
  try {
    // Command line only, as Mesos's mesos-execute loads its flags.
    flags = loadFlags(executeFlags, argv, {}, 'MESOS_EXECUTE_');
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    // --help wins over a bad flag, as in Mesos.
    if (argv.some((word) => /^--help(=(true|1))?$/i.test(word.trim()))) {
      writeAll(1, `${usage(program)}\n`);
      return 0;
    }
    throw new UsageError(error.message);
  }
  if (flags.help) {
    writeAll(1, `${usage(program)}\n`);
    return 0;
  }
  checkFlags(flags);

  const masterId = randomUuid();
  const frameworkId = `${masterId}-0000`;
  const agentId = `${masterId}-S0`;
  const killAfterMs = flags.kill_after === undefined ? undefined : parseDurationOrThrow(flags.kill_after);
  let task: Task | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const askToKill = () => {
    if (task === undefined) return;
    line(`Asked to kill task '${task.taskId}' on agent '${task.agentId}'`);
    task.kill();
  };
  let interrupted = false;
  const onSignal = () => {
    // The first Ctrl-C kills the task gracefully; another one at once.
    if (interrupted) task?.kill(0);
    else askToKill();
    interrupted = true;
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  const options = taskOptions(flags, agentId, (status) => {
    printStatus(status);
    if (status.state === 'TASK_RUNNING' && killAfterMs !== undefined) killTimer = setTimeout(askToKill, killAfterMs);
  });

  try {
    task = launchTask(options);
  } catch (error) {
    if (error instanceof TaskOptionsError) throw new Refusal(flagTerms(error.message));
    throw error;
  }
  // Nothing has happened yet: the task's first update comes after these.
  line(`Subscribed with ID ${frameworkId}`);
  line(`Submitted task '${task.taskId}' to agent '${task.agentId}'`);

  const final = await task.done;
  if (killTimer !== undefined) clearTimeout(killTimer);
  return final.state === 'TASK_FINISHED' ? 0 : 1;
}

function parseDurationOrThrow(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof DurationError) throw loadError('kill_after', text, error.message);
    throw error;
  }
}

async function main(): Promise<void> {
  const program = basename(process.argv[1] ?? 'mesos-execute');
  let code: number;
  try {
    code = await execute(program, process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      writeAll(2, `${error.message}\n\n${usage(program)}\n`);
    } else {
      complain(error instanceof Error ? error.message : String(error));
    }
    code = 1;
  }
  process.exit(code);
}

void main();
