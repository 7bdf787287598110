// mesos-execute: a framework that runs one task through a Mesos master and
// reports its status updates, as Mesos's does (src/cli/execute.cpp): it
// subscribes over the v1 scheduler API (every second until subscribed),
// launches the task in the first offer that holds it, prints and
// acknowledges every update, kills the task after --kill_after, and ends
// with the first terminal update. `--master=local` (the default) first
// starts a master and an agent in this process (./local.ts) and talks to
// them over HTTP all the same.
//
// Differences from Mesos's mesos-execute, on purpose:
// - the exit status says how the task ended: 0 for TASK_FINISHED, 1 for
//   anything else, or when some of our output could not be written
//   (Mesos's always exits 0 once the task is over);
// - with the local cluster the task's stdout and stderr are ours, byte for
//   byte, and our own lines go to stderr; against another master (whose
//   agents keep the output in the sandbox) they go to stdout, as Mesos's;
// - SIGINT, SIGTERM and SIGHUP kill the task (a second one without a grace
//   period; a third stops waiting), instead of leaving it running;
// - a local agent that can't offer what the task needs is said at once,
//   rather than waited on forever;
// - --rootfs and --user are ours; flags that can't be honoured are refused.
import { basename } from 'node:path';
import { checkRootfs } from '../agent/rootfs';
import type { LocalCluster } from '../local/cluster';
import { formatResources } from '../master/format';
import type { Resource as MasterResource } from '../master/types';
import { writeJson } from '../proto/json';
import { v1Type } from '../proto/v1';
import { MasterAddressError, parseMasterAddress } from '../scheduler/master-address';
import { runTask, type TaskRun } from '../scheduler/run-task';
import type { Offer, Resource, TaskInfo } from '../scheduler/types';
import { FlagError, type Flags, flagsUsage, loadFlags, quoteValue } from '../subcommand/flags';
import { exitProcess } from '../subcommand/exit';
import { complain, writeAll } from '../subcommand/output';
import { DurationError, parseDuration } from './duration';
import { executeFlags, REFUSED_FLAGS } from './flags';
import { LineWriter } from './line-writer';
import { startLocalCluster } from './local';
import { killLine, statusLines, submittedLine, subscribedLine } from './print';
import { TaskFlagError, taskInfoOf } from './task-info';

type ExecuteFlags = Flags<typeof executeFlags>;

const ABOUT =
  'Runs one task through a Mesos master and reports its status updates. With\n' +
  '--master=local (the default) the master and an agent run in this process,\n' +
  "and the task's output is passed through: our own lines then go to stderr.\n" +
  "Exits 0 when the task finished (TASK_FINISHED) and 1 otherwise; Mesos's own\n" +
  'mesos-execute exits 0 whatever became of the task.';

/** How long the last lines may take to get out once the task is over. */
const DRAIN_TIMEOUT_MS = 2000;

function usage(program: string): string {
  return `Usage: ${program} [options]\n\n${ABOUT}\n\n${flagsUsage(executeFlags)}`;
}

/** A mistake in the flags: said with the usage, as Mesos does. */
class UsageError extends Error {}
/** Something asked for that can't be done: one line. */
class Refusal extends Error {}

const CONTENT_TYPES = new Map([
  ['json', 'json'],
  ['application/json', 'json'],
  ['protobuf', 'protobuf'],
  ['application/x-protobuf', 'protobuf'],
] as const);

function checkFlags(flags: ExecuteFlags): void {
  if (flags.task !== undefined || flags.task_group !== undefined) {
    if (flags.task !== undefined && flags.task_group !== undefined) {
      throw new UsageError("Either task or task group should be set but not both. Provide either '--task' OR '--task_group'");
    }
    const taskOnly = ['name', 'command', 'env', 'appc_image', 'docker_image', 'volumes'] as const;
    if (taskOnly.some((name) => flags[name] !== undefined)) {
      throw new UsageError("'--name, --command, --env, --appc_image, --docker_image, --volumes' can only be set when both '--task' and '--task_group' are not set");
    }
    if (flags.task !== undefined && flags.networks !== undefined) throw new UsageError("'--networks' can only be set when '--task' is not set");
    if (flags.task !== undefined && flags.port_mappings !== undefined) throw new UsageError("'--port_mappings' can only be set when '--task' is not set");
  } else {
    if (flags.name === undefined) throw new UsageError('Missing required option --name');
    // As Mesos's: without a shell, an image's entrypoint may be the command.
    if (flags.shell && flags.command === undefined) throw new UsageError('Missing required option --command');
  }
  for (const [name, why] of REFUSED_FLAGS) {
    if (flags[name] !== undefined) throw new Refusal(`Flag --${name} is not supported yet: ${why}`);
  }
  if (!CONTENT_TYPES.has(flags.content_type as never)) throw new Refusal(`Invalid content type '${flags.content_type}'`);
  if (flags.containerizer === 'docker') throw new Refusal('Flag --containerizer=docker is not supported yet: tasks run in the Mesos containerizer, images included (--docker_image)');
  if (flags.rootfs !== undefined && flags.docker_image !== undefined) throw new Refusal('Flags --rootfs and --docker_image name two root filesystems: give one');
  if (flags.containerizer !== 'mesos') throw new Refusal(`Unsupported containerizer: ${flags.containerizer}`);
  if (flags.master === 'local') {
    if (flags.checkpoint) throw new Refusal('Flag --checkpoint is not supported with --master=local: the local agent does not recover tasks');
    if (process.getuid?.() !== 0) throw new Refusal('The local cluster needs root: its agent makes namespaces, mounts and cgroups');
    // The agent would refuse it too, but only once the cluster is up.
    const problem = flags.rootfs === undefined ? undefined : checkRootfs(flags.rootfs).problem;
    if (problem !== undefined) throw new Refusal(problem);
  } else {
    try {
      parseMasterAddress(flags.master);
    } catch (error) {
      if (error instanceof MasterAddressError) throw new Refusal(error.message);
      throw error;
    }
    if (flags.rootfs !== undefined) {
      throw new Refusal("Flag --rootfs is only for --master=local: another master's agents can't be given a directory of this machine");
    }
  }
}

function loadError(flag: string, value: string, reason: string): UsageError {
  return new UsageError(`Failed to load flag '${flag}': Failed to load value '${quoteValue(value)}': ${reason}`);
}

function killAfterOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof DurationError) throw loadError('kill_after', text, error.message);
    throw error;
  }
}

function taskOf(flags: ExecuteFlags): TaskInfo {
  try {
    return taskInfoOf(flags);
  } catch (error) {
    if (!(error instanceof TaskFlagError)) throw error;
    throw error.usage ? new UsageError(error.message) : new Refusal(error.message);
  }
}

const ResourceType = v1Type<Resource>('mesos.v1.Resource');

/** Resources in Mesos's text form. */
function resourcesText(resources: readonly Resource[]): string {
  return formatResources(resources.map((resource) => JSON.parse(writeJson(ResourceType, resource)) as MasterResource));
}

/** Our lines, and where failures are said. */
interface Outputs {
  readonly lines: LineWriter;
  readonly errors: LineWriter;
}

/** Kills on signals: gracefully, then at once, then stops waiting. */
function killOnSignals(run: TaskRun, giveUp: () => void): () => void {
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) void run.kill().catch(() => {});
    else if (signals === 2) void run.kill(0).catch(() => {});
    else giveUp();
  };
  const names = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of names) process.on(signal, onSignal);
  return () => {
    for (const signal of names) process.off(signal, onSignal);
  };
}

interface RunPlan {
  readonly master: string;
  readonly local: boolean;
  readonly task: TaskInfo;
  readonly killAfterMs: number | undefined;
}

async function runThrough(plan: RunPlan, flags: ExecuteFlags, out: Outputs): Promise<number> {
  const { master, local, task, killAfterMs } = plan;
  const run = runTask({
    master,
    contentType: CONTENT_TYPES.get(flags.content_type as never)!,
    framework: { role: flags.role, ...(flags.checkpoint ? { checkpoint: true } : {}) },
    partitionAware: flags.partition_aware,
    task,
    ...(killAfterMs === undefined ? {} : { killAfterMs }),
  });
  let submitted = false;
  let refusal: string | undefined;
  run.on('subscribed', (frameworkId) => out.lines.line(subscribedLine(frameworkId)));
  run.on('submitted', (agentId) => {
    submitted = true;
    out.lines.line(submittedLine(task.name, agentId));
  });
  run.on('status', (status) => {
    for (const line of statusLines(status)) out.lines.line(line);
  });
  run.on('killing', (taskId, agentId) => out.lines.line(killLine(taskId, agentId)));
  run.on('declined', (offer: Offer) => {
    // Our one agent has offered all it has: waiting for more would be forever.
    if (!local || submitted || refusal !== undefined) return;
    refusal = `The local agent can't offer '${resourcesText(task.resources ?? [])}': it has '${resourcesText(offer.resources ?? [])}'`;
    run.stop();
  });
  const stopSignals = killOnSignals(run, () => run.stop());
  try {
    const status = await run.done;
    return status.state === 'TASK_FINISHED' ? 0 : 1;
  } catch (error) {
    out.errors.line(refusal ?? (error as Error).message);
    return 1;
  } finally {
    stopSignals();
  }
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
  const killAfterMs = killAfterOf(flags.kill_after);
  const task = taskOf(flags);

  const local = flags.master === 'local';
  const errors = new LineWriter(2, 'stderr');
  const out: Outputs = { lines: local ? errors : new LineWriter(1, 'stdout'), errors };
  // A signal while the cluster starts ends the program once it has started (and is stopped again).
  let interrupted = false;
  const early = () => (interrupted = true);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, early);
  let cluster: LocalCluster | undefined;
  let code = 1;
  const fault = (error: unknown) => {
    // The tasks must not outlive the process, whatever went wrong in it.
    errors.line(error instanceof Error ? error.message : String(error));
    void (cluster?.stop() ?? Promise.resolve()).finally(() => exitProcess(1));
  };
  process.on('uncaughtException', fault);
  process.on('unhandledRejection', fault);
  try {
    if (local) cluster = await startLocalCluster((message) => errors.line(message.replace(/[\r\n]+/g, ' ')));
    for (const signal of signals) process.off(signal, early);
    if (!interrupted) code = await runThrough({ master: cluster?.url ?? flags.master, local, task, killAfterMs }, flags, out);
  } finally {
    // The cluster's stop kills what may still run: signals wait for it.
    for (const signal of signals) process.on(signal, () => {});
    await cluster?.stop();
  }
  for (const writer of new Set([out.lines, errors])) {
    if (!(await writer.drain(DRAIN_TIMEOUT_MS))) code = 1;
  }
  if (out.lines !== errors && out.lines.failure !== undefined) {
    errors.line(out.lines.failure);
    await errors.drain(DRAIN_TIMEOUT_MS);
  }
  return code;
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
  exitProcess(code);
}

void main();
