// The agent's pure parts: resources in Mesos's text form and probing, the
// status update manager's rules (on a clock of the test's own), the
// terminal update of every way a container can end, what execve takes,
// what a TaskInfo becomes, and the digest that names its cgroups.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import type { AgentStatusUpdate } from '../src/master/agents';
import type { FrameworkInfo, TaskInfo, TaskStatus } from '../src/master/types';
import { execLimit, execSizeProblem, MAX_ARG_STRLEN } from '../src/agent/exec-limits';
import { agentResources, countCpuList, type MachineProbe, offeredDiskMb, offeredMemoryMb } from '../src/agent/probe';
import { formatResourceText, parseResourceText } from '../src/agent/resources';
import { AcknowledgementError, StatusUpdateManager, type Timers } from '../src/agent/status-update-manager';
import type { ContainerEnd } from '../src/agent/supervision/container';
import { parseCheckpointFailure } from '../src/agent/supervision/last-words';
import { planCommandTask, ROOTFS_LABEL } from '../src/agent/task-info';
import { limitWrites } from '../src/agent/cgroups/limits';
import { sha256Hex } from '../src/agent/sha256';
import { withImage } from '../src/agent/image-step';
import { terminalUpdate } from '../src/agent/terminal-update';
import { statusUpdateUuid } from '../src/agent/uuid';
import { commandTask } from './helpers/master-stub';

const MB = 1024 * 1024;
const GB = 1024 * MB;

t.test('resources in Mesos text form', async (t) => {
  t.same(parseResourceText('cpus:2;mem:1024;ports:[31000-31100]'), [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 1024 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31100 }] } },
  ]);
  t.same(parseResourceText('cpus:1;cpus:0.5;ports:[5-9, 1-4];disks:{a,b};cpus(web):1'), [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 1.5 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 9 }] } },
    { name: 'disks', type: 'SET', set: { item: ['a', 'b'] } },
    { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'STATIC', role: 'web' }] },
  ]);
  t.same(parseResourceText('[{"name":"gpus","type":"SCALAR","scalar":{"value":1}}]'), [{ name: 'gpus', type: 'SCALAR', scalar: { value: 1 } }]);
  t.equal(formatResourceText(parseResourceText('cpus:2;mem:1024;ports:[31000-31100]')), 'cpus:2;mem:1024;ports:[31000-31100]');
  t.throws(() => parseResourceText('cpus'), { message: "Bad value for resources, missing or extra ':' in cpus" });
  t.throws(() => parseResourceText('cpus(web:1'), { message: 'Bad value for resources, mismatched parentheses in cpus(web:1' });
  t.throws(() => parseResourceText('cpus:-1'), { message: 'Failed to parse resource cpus value -1 error Negative values not supported' });
  t.throws(() => parseResourceText('ports:[1-2'), { message: 'Failed to parse resource ports value [1-2 error Mismatched brackets' });
});

t.test("resource probing, as Mesos's agent probes", async (t) => {
  const probe = (cpus: number, memory: number, disk: number): MachineProbe => ({
    cpus: () => cpus,
    memoryBytes: () => memory,
    diskBytes: () => disk,
  });
  t.equal(countCpuList('0-3,6,8-9\n'), 7);
  t.equal(offeredMemoryMb(8 * GB), 7 * 1024, 'total - 1 GB from 2 GB up');
  t.equal(offeredMemoryMb(2 * GB), 1024);
  t.equal(offeredMemoryMb(1.5 * GB), 768, 'half below 2 GB');
  t.equal(offeredDiskMb(100 * GB), 95 * 1024, 'size - 5 GB from 10 GB up');
  t.equal(offeredDiskMb(8 * GB), 4 * 1024, 'half below 10 GB');

  const warnings: string[] = [];
  t.same(agentResources(undefined, '/srv/agent', probe(2, 4 * GB, 20 * GB), (message) => warnings.push(message)), [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 3072 } },
    { name: 'disk', type: 'SCALAR', scalar: { value: 15 * 1024 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } },
  ]);
  t.same(warnings, []);

  // What MESOS_RESOURCES names is taken as given; the rest is probed.
  const probed: string[] = [];
  const counting: MachineProbe = {
    cpus: () => (probed.push('cpus'), 8),
    memoryBytes: () => (probed.push('mem'), 4 * GB),
    diskBytes: () => (probed.push('disk'), 20 * GB),
  };
  t.same(agentResources('cpus:2;mem:1024;ports:[31000-31100];gpus:1', '/srv/agent', counting, () => undefined), [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 1024 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31100 }] } },
    { name: 'gpus', type: 'SCALAR', scalar: { value: 1 } },
    { name: 'disk', type: 'SCALAR', scalar: { value: 15 * 1024 } },
  ]);
  t.same(probed, ['disk'], 'only disk was probed');

  const failing: MachineProbe = {
    cpus: () => {
      throw new Error('no cpu list');
    },
    memoryBytes: () => {
      throw new Error('no sysinfo');
    },
    diskBytes: () => {
      throw new Error("ENOENT: no such file or directory, statfs '/srv/agent'");
    },
  };
  const said: string[] = [];
  t.same(
    agentResources('', '/srv/agent', failing, (message) => said.push(message)).map((resource) => [resource.name, resource.scalar?.value]),
    [
      ['cpus', 1],
      ['mem', 1024],
      ['disk', 10240],
      ['ports', undefined],
    ],
    "Mesos's defaults: 1 cpu, 1 GB, 10 GB",
  );
  t.same(said, [
    "Failed to auto-detect the number of cpus to use: 'no cpu list'; defaulting to 1",
    "Failed to auto-detect the size of main memory: 'no sysinfo' ; defaulting to 1GB",
    "Failed to auto-detect the disk space: 'no such file or directory, statfs '/srv/agent'' ; defaulting to 10GB",
  ]);
});

/** A clock of the test's own: timers run when `advance` passes them. */
class Clock implements Timers {
  now = 0;
  private pending: Array<{ due: number; callback: () => void; id: number }> = [];
  private ids = 0;
  set(callback: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.pending.push({ due: this.now + ms, callback, id });
    return id;
  }
  clear(handle: unknown): void {
    this.pending = this.pending.filter((timer) => timer.id !== handle);
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const next = this.pending.filter((timer) => timer.due <= until).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.pending = this.pending.filter((timer) => timer !== next);
      this.now = next.due;
      next.callback();
    }
    this.now = until;
  }
}

function status(taskId: string, state: TaskStatus['state']): TaskStatus {
  return { task_id: { value: taskId }, state, source: 'SOURCE_EXECUTOR', uuid: statusUpdateUuid() };
}

t.test('the status update manager: one update in flight per task, resent with backoff until acknowledged', async (t) => {
  const clock = new Clock();
  const sent: Array<{ at: number; update: AgentStatusUpdate }> = [];
  const manager = new StatusUpdateManager({
    forward: (update) => sent.push({ at: clock.now, update }),
    retryIntervalMinMs: 10,
    retryIntervalMaxMs: 60,
    timers: clock,
  });
  const starting = status('a', 'TASK_STARTING');
  const running = status('a', 'TASK_RUNNING');
  const finished = status('a', 'TASK_FINISHED');
  manager.update('F', starting);
  manager.update('F', running);
  manager.update('F', finished);
  manager.update('F', starting);
  t.same(sent.map(({ update }) => update.status.state), ['TASK_STARTING'], 'only the first goes out; a duplicate is ignored');
  t.equal(sent[0]!.update.latest_state, undefined, 'sent alone, as the latest');

  clock.advance(200);
  t.same(
    sent.map(({ at }) => at),
    [0, 10, 30, 70, 130, 190],
    'resent after 10, then twice as long each time, up to the maximum (60)',
  );
  t.ok(sent.every(({ update }) => update.status.uuid === starting.uuid), 'a resend is the same update, uuid included');
  t.equal(sent[1]!.update.latest_state, 'TASK_FINISHED', 'resent with the latest state of the task');

  t.throws(() => manager.acknowledge('F', 'a', running.uuid!), { name: 'Error', message: /^Unexpected task status update acknowledgement \(received / }, 'an ack of a later update is unexpected');
  t.ok(
    (() => {
      try {
        manager.acknowledge('F', 'a', running.uuid!);
      } catch (error) {
        return error instanceof AcknowledgementError;
      }
      return false;
    })(),
    'as an AcknowledgementError',
  );
  t.throws(() => manager.acknowledge('F', 'b', running.uuid!), { message: 'Cannot find the task status update stream for task b of framework F' });
  sent.length = 0;
  t.equal(manager.acknowledge('F', 'a', starting.uuid!), false);
  t.same(sent.map(({ update }) => update.status.state), ['TASK_RUNNING'], 'the next goes out on the ack');
  t.throws(() => manager.acknowledge('F', 'a', starting.uuid!), { message: 'Duplicate task status acknowledgement' });
  clock.advance(10);
  t.equal(sent.length, 2, 'the new one is resent from the minimum again');
  t.equal(manager.acknowledge('F', 'a', running.uuid!), false);
  t.equal(manager.acknowledge('F', 'a', finished.uuid!), true, 'the terminal ack ends the stream');
  t.same(manager.pending('F', 'a'), []);
  sent.length = 0;
  clock.advance(1000);
  t.same(sent, [], 'nothing more is sent');

  // Streams are per task, and a framework's can be dropped.
  manager.update('F', status('x', 'TASK_STARTING'));
  manager.update('F', status('y', 'TASK_STARTING'));
  manager.update('G', status('x', 'TASK_STARTING'));
  t.equal(sent.length, 3, 'one in flight for each task');
  manager.dropFramework('F');
  sent.length = 0;
  clock.advance(1000);
  t.same(
    [...new Set(sent.map(({ update }) => update.framework_id))],
    ['G'],
    "a dropped framework's updates are not resent",
  );
});

t.test("SHA-256 digests are node:crypto's", async (t) => {
  const expected = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  t.equal(sha256Hex(new Uint8Array()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  t.equal(sha256Hex(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  // Where the padding takes a block of its own, and around it.
  for (const length of [55, 56, 63, 64, 65, 119, 120, 1000]) t.equal(sha256Hex(Buffer.alloc(length, 0xa5)), expected(Buffer.alloc(length, 0xa5)), `${length} bytes`);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (data) => sha256Hex(data) === expected(data)));
});

t.test('status update uuids: 16 random bytes of a version 4 UUID, base64', async (t) => {
  const uuids = new Set(Array.from({ length: 100 }, () => statusUpdateUuid()));
  t.equal(uuids.size, 100);
  for (const uuid of uuids) {
    const bytes = Buffer.from(uuid, 'base64');
    t.equal(bytes.length, 16);
    t.equal(bytes[6]! >> 4, 4);
  }
});

const ended = (end: Partial<ContainerEnd>): ContainerEnd => ({
  killedDuringLaunch: false,
  ran: true,
  killed: false,
  helper: { code: 0, signal: null },
  ...end,
});

t.test("the terminal update of every way a container ends, in Mesos's words", async (t) => {
  t.same(terminalUpdate(ended({ waitStatus: 0 })), {
    state: 'TASK_FINISHED',
    source: 'SOURCE_EXECUTOR',
    message: 'Command exited with status 0',
    waitStatus: 0,
  });
  t.match(terminalUpdate(ended({ waitStatus: 3 << 8 })), { state: 'TASK_FAILED', message: 'Command exited with status 3' });
  t.match(terminalUpdate(ended({ waitStatus: 9 })), { state: 'TASK_FAILED', message: 'Command terminated with signal Killed' });
  t.match(terminalUpdate(ended({ waitStatus: 15, killed: true })), { state: 'TASK_KILLED', message: 'Command terminated with signal Terminated' });
  t.match(terminalUpdate(ended({ waitStatus: 0, killed: true })), { state: 'TASK_KILLED', message: 'Command exited with status 0' }, 'killed is killed');
  t.match(terminalUpdate(ended({ killed: true, helper: { code: 137, signal: null } })), {
    state: 'TASK_KILLED',
    source: 'SOURCE_EXECUTOR',
    message: 'Command terminated with signal Killed',
  });
  t.same(terminalUpdate(ended({ killedDuringLaunch: true, ran: false })), {
    state: 'TASK_KILLED',
    source: 'SOURCE_AGENT',
    reason: 'REASON_TASK_KILLED_DURING_LAUNCH',
    message: 'Killed before delivery to the executor',
  });
  t.same(terminalUpdate(ended({ ran: false, launchFailure: "Failed to execute '/x': No such file or directory", helper: { code: 1, signal: null } })), {
    state: 'TASK_FAILED',
    source: 'SOURCE_AGENT',
    reason: 'REASON_CONTAINER_LAUNCH_FAILED',
    message: "Failed to launch container: Failed to execute '/x': No such file or directory",
  });
  t.same(terminalUpdate(ended({ helper: { code: 137, signal: null } })), {
    state: 'TASK_FAILED',
    source: 'SOURCE_AGENT',
    reason: 'REASON_EXECUTOR_TERMINATED',
    message: 'Executor terminated',
  });
  t.match(terminalUpdate(ended({ memoryLimit: { limit: 64 * MB, maxUsed: 64 * MB } })), {
    state: 'TASK_FAILED',
    reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
    message: 'Memory limit exceeded: Requested: 64MB Maximum Used: 64MB',
    limitationMemMb: 64,
  });
  const full = parseCheckpointFailure("Failed to write container status '768': No space left on device");
  t.same(full, { status: 768, reason: 'No space left on device' });
  t.same(terminalUpdate(ended({ helper: { code: 1, signal: null }, checkpointFailure: full! })), {
    state: 'TASK_FAILED',
    source: 'SOURCE_EXECUTOR',
    message: "Command exited with status 3; Failed to checkpoint the container's status: No space left on device",
    waitStatus: 768,
  });
  t.same(terminalUpdate(ended({ helper: { code: 1, signal: null }, checkpointFailure: { reason: 'mesos-containerizer exited with status 1' } })), {
    state: 'TASK_FAILED',
    source: 'SOURCE_AGENT',
    reason: 'REASON_EXECUTOR_TERMINATED',
    message: "Failed to checkpoint the container's status: mesos-containerizer exited with status 1",
  });
});

t.test('what execve takes: MAX_ARG_STRLEN a string, a quarter of the stack in all', async (t) => {
  const env = [{ name: 'PATH', value: '/bin' }];
  const most = MAX_ARG_STRLEN - 1;
  t.equal(execSizeProblem({ command: { shell: true, value: 'x'.repeat(most) }, environment: env }, 8 * MB), undefined, '128 KiB less one fits');
  t.equal(
    execSizeProblem({ command: { shell: true, value: 'x'.repeat(most + 1) }, environment: env }, 8 * MB),
    'The command is 131072 bytes: the kernel takes at most 131071 bytes in one argument (MAX_ARG_STRLEN)',
  );
  t.match(execSizeProblem({ command: { shell: false, value: '/bin/echo', arguments: ['echo', 'x'.repeat(most + 1)] }, environment: env }, 8 * MB), /^Argument 1 of the command is 131072 bytes/);
  t.match(
    execSizeProblem({ command: { shell: true, value: 'true' }, environment: [{ name: 'BIG', value: 'x'.repeat(most) }] }, 8 * MB),
    /^The environment variable 'BIG' is 131075 bytes with its name: /,
  );
  const many = Array.from({ length: 20 }, (_, index) => ({ name: `V${index}`, value: 'x'.repeat(120_000) }));
  t.match(execSizeProblem({ command: { shell: true, value: 'true' }, environment: many }, 8 * MB), /take \d+ bytes: the kernel takes at most 2097152 bytes in all/);
  t.equal(execSizeProblem({ command: { shell: true, value: 'true' }, environment: many }, undefined), undefined, 'an unlimited stack takes 6 MiB');
  t.match(
    execSizeProblem({ command: { shell: true, value: 'true' }, environment: many.slice(0, 4), rlimits: [{ type: 'RLMT_STACK', soft: MB, hard: MB }] }, 8 * MB),
    /at most 262144 bytes in all/,
    "the task's own stack limit counts",
  );
  t.equal(execLimit(100), 128 * 1024, 'never less than 128 KiB');
});

t.test('what a TaskInfo becomes, and what is refused', async (t) => {
  const framework: FrameworkInfo = { user: 'root', name: 'f', id: { value: 'F' } };
  const plan = planCommandTask(
    framework,
    commandTask('t', 'echo hi', {
      kill_policy: { grace_period: { nanoseconds: 250e6 } },
      container: {
        type: 'MESOS',
        linux_info: { effective_capabilities: { capabilities: ['NET_RAW'] } },
        rlimit_info: { rlimits: [{ type: 'RLMT_NOFILE', soft: 64, hard: 64 }] },
      },
    }),
    { agentUser: 'root' },
  );
  t.same(plan, {
    command: { shell: true, value: 'echo hi' },
    environment: [],
    effectiveCapabilities: ['NET_RAW'],
    rlimits: [{ type: 'RLMT_NOFILE', soft: 64, hard: 64 }],
    cpus: 0.5,
    memMb: 64,
    gracePeriodMs: 250,
  });
  t.match(planCommandTask({ ...framework, user: 'nobody' }, commandTask('t', 'id'), { agentUser: 'root' }), { user: 'nobody', gracePeriodMs: 3000 });
  const refusals: Array<[Partial<Parameters<typeof commandTask>[2]>, RegExp]> = [
    [{ executor: { executor_id: { value: 'e' } } }, /^Failed to launch container: custom executors are not supported by this agent$/],
    [{ command: { value: 'x', uris: [{ value: 'http://x' }] } }, /fetching URIs is not supported/],
    [{ container: { type: 'DOCKER' } }, /DOCKER containers are not supported/],
    [{ container: { type: 'MESOS', mesos: { image: { type: 'APPC', appc: { name: 'a' } } } } }, /Appc images are not supported/],
    [{ command: { value: 'x', environment: { variables: [{ name: 'S', type: 'SECRET' }] } } }, /the SECRET environment variable 'S' is not supported/],
  ];
  for (const [more, message] of refusals) {
    const refused = planCommandTask(framework, commandTask('t', 'true', more), { agentUser: 'root' });
    t.match(refused, { refused: true, state: 'TASK_FAILED', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message });
  }
  t.match(planCommandTask(framework, commandTask('t', 'true', { command: { shell: true } }), { agentUser: 'root' }), {
    refused: true,
    state: 'TASK_ERROR',
    message: 'Shell command is not specified',
  });

  const labelled = (...values: unknown[]) =>
    commandTask('t', 'true', { labels: { labels: values.map((value) => ({ key: ROOTFS_LABEL, value })) } });
  t.match(planCommandTask(framework, labelled('/srv/root'), { agentUser: 'root', rootfsLabel: true }), { rootfs: '/srv/root' });
  t.match(planCommandTask(framework, labelled('/srv/root'), { agentUser: 'root' }), {
    refused: true,
    state: 'TASK_FAILED',
    message: `Failed to launch container: the label '${ROOTFS_LABEL}' (a root filesystem directory) is not supported by this agent`,
  });
  t.match(planCommandTask(framework, labelled('srv'), { agentUser: 'root', rootfsLabel: true }), { refused: true, state: 'TASK_ERROR', message: /must be an absolute path/ });
  t.match(planCommandTask(framework, labelled('/a', '/b'), { agentUser: 'root', rootfsLabel: true }), { refused: true, message: /is given 2 times/ });
  t.notOk('rootfs' in planCommandTask(framework, commandTask('t', 'true', { labels: { labels: [{ key: 'other', value: '/x' }] } }), { agentUser: 'root' }));
});

t.test('task-info hands the NetworkInfos and the hostname on', async (t) => {
  const framework: FrameworkInfo = { user: 'root', name: 'f', id: { value: 'F' } };
  const plan = planCommandTask(framework, commandTask('t', 'true', { container: { type: 'MESOS', network_infos: [{ name: 'a' }] } }), { agentUser: 'root', rootfsLabel: false });
  t.same('networkInfos' in plan ? plan.networkInfos : undefined, [{ name: 'a' }]);
  t.match(planCommandTask(framework, commandTask('t', 'true', { container: { type: 'MESOS', network_infos: {} as never } }), { agentUser: 'root', rootfsLabel: false }), {
    refused: true,
    state: 'TASK_ERROR',
  });
  const named = (hostname: unknown) => planCommandTask(framework, commandTask('t', 'true', { container: { type: 'MESOS', hostname } as never }), { agentUser: 'root' });
  t.match(named('web-1.cluster.test'), { hostname: 'web-1.cluster.test' });
  for (const bad of ['a b', 'x\n1.2.3.4 evil', '-web', 'web.', '', 'a'.repeat(65), 7]) {
    t.match(named(bad), { refused: true, state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message: /^Invalid container\.hostname '.*': expecting a host name/ }, JSON.stringify(bad));
  }
});

t.test("cpu limits: a share of the machine, a CFS quota only when asked (Mesos's --cgroups_enable_cfs)", async (t) => {
  t.same(limitWrites('cpu', 1, { cpus: 0.5 }), [{ file: 'cpu.shares', value: '512' }]);
  t.same(limitWrites('cpu', 1, { cpus: 0.5, cpuQuota: true }), [
    { file: 'cpu.shares', value: '512' },
    { file: 'cpu.cfs_period_us', value: '100000' },
    { file: 'cpu.cfs_quota_us', value: '50000' },
  ]);
  t.same(limitWrites('cpu', 2, { cpus: 0.001 }), [{ file: 'cpu.weight', value: '1' }], 'the floors: 2 shares');
  t.same(limitWrites('cpu', 2, { cpus: 0.001, cpuQuota: true })[1], { file: 'cpu.max', value: '1000 100000' }, 'a quota of at least 1 ms');
});

t.test('a task in a Docker image: what the plan says, and the image config applied', async (t) => {
  const framework: FrameworkInfo = { user: 'root', name: 'f', id: { value: 'F' } };
  const inImage = (command: TaskInfo['command'], image: unknown = { type: 'DOCKER', docker: { name: 'busybox:1' } }) =>
    planCommandTask(framework, commandTask('t', 'true', { command, container: { type: 'MESOS', mesos: { image } } }), { agentUser: 'root' });
  const plan = inImage({ shell: false });
  t.match(plan, { image: 'busybox:1' }, 'the image, by name');
  t.match(inImage({ shell: true, value: 'echo hi' }), { image: 'busybox:1', command: { shell: true, value: 'echo hi' } });
  t.match(inImage({ shell: false }, { type: 'APPC', appc: { name: 'x' } }), { refused: true, state: 'TASK_FAILED', message: /Appc images are not supported/ });
  t.match(inImage({ shell: false }, { type: 'DOCKER', docker: {} }), { refused: true, state: 'TASK_ERROR', message: /expecting a name/ });
  const labelled = planCommandTask(
    framework,
    commandTask('t', 'true', { labels: { labels: [{ key: ROOTFS_LABEL, value: '/srv' }] }, container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'b' } } } } }),
    { agentUser: 'root', rootfsLabel: true },
  );
  t.match(labelled, { refused: true, message: /can't have the label/ });
  if (plan.refused) return;
  const runtime = { entrypoint: ['/bin/sh', '-c'], cmd: ['echo $A'], env: ['A=image', 'B=image'], workingDir: '/w' };
  const applied = withImage(plan, { shell: false, environment: { variables: [{ name: 'B', value: 'task' }] } }, runtime, ['/l0', '/l1']);
  t.match(applied, {
    command: { shell: false, value: '/bin/sh', arguments: ['/bin/sh', '-c', 'echo $A'] },
    environment: [{ name: 'A', value: 'image' }, { name: 'B', value: 'task' }],
    imageLayers: ['/l0', '/l1'],
    workingDirectory: '/w',
  }, "the entrypoint with the cmd, the image's env under the task's, its working directory and layers");
  t.match(withImage(plan, { shell: false }, {}, ['/l0']), { refused: true, state: 'TASK_FAILED', message: /No executable is found/ });
});
