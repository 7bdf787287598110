// A framework for the cluster benchmarks (bench/launch-many.sh,
// bench/cluster-memory.sh): subscribes to a running master through our
// scheduler client, takes the first offer, and launches N command tasks in
// ONE ACCEPT (one LAUNCH of N TaskInfos), acknowledging every update.
//
//   node driver.js --master=http://127.0.0.1:PORT --tasks=100 --command=/bin/true
//       exits once every task has had its terminal update: 0 when all
//       finished (TASK_FINISHED), 1 otherwise;
//   node driver.js --master=... --tasks=50 --command='/bin/sleep 1000' --hold
//       prints "running" once every task is TASK_RUNNING, then holds the
//       framework until its subscription is lost (the cluster stopped) or
//       it gets SIGTERM or SIGINT.
//
// Other flags: --resources=TEXT, each task's scalars (default cpus:0.01;mem:1);
// --shell (the command through `sh -c`; by default it is exec'd, split on
// spaces into its arguments). With BENCH_TIMINGS=FILE it appends one JSON
// line per run: milliseconds since the process started at the subscription,
// the offer, the ACCEPT's answer and the last terminal update (or, with
// --hold, the last TASK_RUNNING).
//
// Bundled by the scripts that use it (esbuild, into a temporary directory).
import { appendFileSync } from 'node:fs';
import { isTerminal, Scheduler, type Resource, type TaskInfo, type TaskStatus } from '../src/scheduler';

interface DriverFlags {
  readonly master: string;
  readonly tasks: number;
  readonly command: string;
  readonly shell: boolean;
  readonly resources: string;
  readonly hold: boolean;
}

function usageError(message: string): never {
  process.stderr.write(`cluster-driver: ${message}\n`);
  process.exit(2);
}

function parseFlags(argv: readonly string[]): DriverFlags {
  const values = new Map<string, string>();
  for (const word of argv) {
    const match = /^--([a-z_]+)(?:=(.*))?$/s.exec(word);
    if (match === null) usageError(`unexpected argument '${word}'`);
    values.set(match[1]!, match[2] ?? 'true');
  }
  const known = new Set(['master', 'tasks', 'command', 'shell', 'resources', 'hold']);
  for (const name of values.keys()) if (!known.has(name)) usageError(`unknown flag --${name}`);
  const master = values.get('master') ?? usageError('--master is required');
  const tasks = Number(values.get('tasks') ?? '1');
  if (!Number.isInteger(tasks) || tasks < 1) usageError(`--tasks must be a positive integer, not '${values.get('tasks')}'`);
  return {
    master,
    tasks,
    command: values.get('command') ?? '/bin/true',
    shell: values.get('shell') === 'true',
    resources: values.get('resources') ?? 'cpus:0.01;mem:1',
    hold: values.get('hold') === 'true',
  };
}

/** Scalar resources in Mesos's text form: "cpus:0.01;mem:1". */
function scalarResources(text: string): Resource[] {
  return text.split(';').filter((part) => part.trim() !== '').map((part) => {
    const [name, value] = part.split(':').map((word) => word.trim());
    const amount = Number(value);
    if (name === undefined || name === '' || !Number.isFinite(amount)) usageError(`--resources: '${part}' is not NAME:NUMBER`);
    return { name, type: 'SCALAR', scalar: { value: amount } };
  });
}

function sinceStart(): number {
  return Math.round(performance.now());
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const resources = scalarResources(flags.resources);
  const words = flags.command.split(' ').filter((word) => word !== '');
  const command = flags.shell
    ? { value: flags.command }
    : { shell: false, value: words[0] ?? '', arguments: words };

  const scheduler = new Scheduler({ master: flags.master, framework: { user: 'root', name: 'bench cluster driver' } });
  const timings: Record<string, number> = {};
  const terminal = new Map<string, TaskStatus>();
  const running = new Set<string>();
  let launched = false;

  const finish = (code: number, message?: string): void => {
    if (message !== undefined) process.stderr.write(`cluster-driver: ${message}\n`);
    scheduler.stop();
    if (process.env.BENCH_TIMINGS !== undefined) {
      appendFileSync(process.env.BENCH_TIMINGS, `${JSON.stringify({ tasks: flags.tasks, ...timings })}\n`);
    }
    process.exit(code);
  };

  scheduler.on('error', (error) => finish(1, `ERROR from the master: ${error.message}`));
  scheduler.on('disconnected', (reason) => finish(flags.hold && running.size === flags.tasks ? 0 : 1, flags.hold ? undefined : `lost the master: ${reason}`));

  scheduler.on('offers', (offers) => {
    for (const offer of offers) {
      if (launched) {
        scheduler.decline([offer.id]).catch(() => undefined);
        continue;
      }
      launched = true;
      timings.offer = sinceStart();
      const taskInfos: TaskInfo[] = [];
      for (let index = 0; index < flags.tasks; index++) {
        const id = `bench-${index}`;
        taskInfos.push({ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources, command });
      }
      scheduler.launch([offer.id], taskInfos).then(
        (result) => {
          timings.accepted = sinceStart();
          if (result.status !== 202) finish(1, `ACCEPT answered ${result.status}`);
        },
        (error: Error) => finish(1, `ACCEPT failed: ${error.message}`),
      );
    }
  });

  scheduler.on('update', (status) => {
    const id = status.task_id.value;
    const acknowledged = scheduler.acknowledge(status).catch(() => undefined);
    if (status.state === 'TASK_RUNNING' && !running.has(id)) {
      running.add(id);
      if (flags.hold && running.size === flags.tasks) {
        timings.lastRunning = sinceStart();
        process.stdout.write('running\n');
      }
    }
    if (!isTerminal(status.state) || terminal.has(id)) return;
    terminal.set(id, status);
    if (flags.hold) {
      finish(1, `task ${id} ended while held: ${status.state} ${status.message ?? ''}`);
      return;
    }
    if (terminal.size < flags.tasks) return;
    timings.lastTerminal = sinceStart();
    const failed = [...terminal.values()].filter((s) => s.state !== 'TASK_FINISHED');
    // The last acknowledgement goes out before the exit, so the agent has nothing left to resend.
    void acknowledged.then(() =>
      finish(failed.length === 0 ? 0 : 1, failed.length === 0 ? undefined : `${failed.length} tasks did not finish, e.g. ${failed[0]!.state}: ${failed[0]!.message ?? ''}`),
    );
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => finish(flags.hold ? 0 : 1));
  await scheduler.start();
  timings.subscribed = sinceStart();
}

main().catch((error: Error) => usageError(error.message));
