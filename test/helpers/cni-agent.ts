// The CNI integration tests' world: a "host" network namespace made for
// the test (never the machine's own), CNI configurations for Debian's
// bridge, host-local and portmap plugins with their IPAM data in a temporary
// directory, and an agent running in that namespace in a child process
// (./cni-agent-child.ts) driven over its stdin and stdout. Everything is
// undone by the test's Cleanup, even when the test fails.
import type { Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { TaskInfo, TaskState, TaskStatus } from '../../src/master/types';
import { cleanupFor, tempDir } from './cni';
import { addNetns, type Cleanup, haveTools, inNetns, uniqueName } from './netns';
import { cleanEnv, isRoot, ROOT } from './run';
import { hostBusybox } from './busybox-rootfs';

export const CNI_PLUGINS = '/usr/lib/cni';

/** Why these tests can't run here, or false. */
export const needsCni: string | false = !isRoot
  ? 'needs root'
  : !haveTools('ip', 'iptables-save', 'nsenter')
    ? 'needs ip, iptables and nsenter'
    : !['bridge', 'host-local', 'portmap'].every((plugin) => existsSync(join(CNI_PLUGINS, plugin)))
      ? 'needs containernetworking-plugins (bridge, host-local, portmap)'
      : hostBusybox() === undefined
        ? 'needs busybox-static'
        : !existsSync(join(ROOT, 'dist', 'mesos-containerizer.js'))
          ? 'run `npm run build` first'
          : false;

export const BUSYBOX = hostBusybox() ?? '/bin/busybox';

const bundled = new Map<string, string>();

/** A child of ./, bundled once per test process in a tree that mirrors the package (it finds bin/ and native/build/). */
function bundle(cleanup: Cleanup, name: string): string {
  const done = bundled.get(name);
  if (done !== undefined && existsSync(done)) return done;
  const root = tempDir(cleanup, 'cni-child-');
  mkdirSync(join(root, 'dist'));
  symlinkSync(join(ROOT, 'bin'), join(root, 'bin'));
  symlinkSync(join(ROOT, 'native'), join(root, 'native'));
  symlinkSync(join(ROOT, 'seccomp'), join(root, 'seccomp'));
  const outfile = join(root, 'dist', `${name}.js`);
  buildSync({
    entryPoints: [join(ROOT, 'test', 'helpers', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  bundled.set(name, outfile);
  return outfile;
}

/**
 * Starts a bundled child in the world's network namespace and a mount
 * namespace of its own, slave to ours: its binds stay in it, and it keeps
 * the cgroup filesystems (`ip netns exec` would mount a fresh /sys over
 * them).
 */
function spawnInWorld(w: World, name: string, args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): ChildProcess {
  const argv = ['unshare', '--mount', '--propagation', 'slave', process.execPath, bundle(w.cleanup, name), ...args];
  return spawn('nsenter', [`--net=/run/netns/${w.netns}`, ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs a bundled child in the world to its end: its JSON lines, its exit code and stderr. */
export async function runInWorld(
  w: World,
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<{ events: Array<Record<string, unknown>>; code: number | null; stderr: string }> {
  const child = spawnInWorld(w, name, args, env);
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  const events = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { events, code, stderr };
}

export interface World {
  readonly cleanup: Cleanup;
  /** The test's "host" namespace, where the agent runs. */
  readonly netns: string;
  readonly dir: string;
  readonly configDir: string;
  readonly pluginsDir: string;
  readonly ipamDir: string;
  /** Runs argv in the host namespace. */
  host(argv: readonly string[]): { status: number | null; stdout: string; stderr: string };
  /** Adds a bridge network `name` on subnet 10.77.<n>.0/24, with more of the configuration. */
  bridgeNetwork(name: string, n: number, more?: Record<string, unknown>): void;
  /** Writes a configuration file of its own. */
  network(file: string, config: Record<string, unknown>): void;
  /** A plugin of the test's: a shell script. */
  plugin(name: string, script: string): void;
}

export function world(t: Test): World {
  const cleanup = cleanupFor(t);
  const netns = uniqueName('mcni');
  addNetns(netns, cleanup);
  inNetns(netns, ['ip', 'link', 'set', 'lo', 'up']);
  const dir = tempDir(cleanup, 'agent-cni-');
  const configDir = join(dir, 'networks');
  const pluginsDir = join(dir, 'plugins');
  const ipamDir = join(dir, 'ipam');
  for (const path of [configDir, pluginsDir, ipamDir]) mkdirSync(path);
  for (const plugin of ['bridge', 'host-local', 'portmap']) symlinkSync(join(CNI_PLUGINS, plugin), join(pluginsDir, plugin));
  const host = (argv: readonly string[]) => inNetns(netns, argv);
  const network = (file: string, config: Record<string, unknown>) => writeFileSync(join(configDir, file), JSON.stringify(config));
  return {
    cleanup,
    netns,
    dir,
    configDir,
    pluginsDir,
    ipamDir,
    host,
    network,
    bridgeNetwork(name, n, more = {}) {
      network(`${name}.conf`, {
        cniVersion: '0.4.0',
        name,
        type: 'bridge',
        bridge: `mcbr${n}`,
        isGateway: true,
        ipMasq: false,
        ipam: { type: 'host-local', subnet: `10.77.${n}.0/24`, dataDir: ipamDir, routes: [{ dst: '0.0.0.0/0' }] },
        ...more,
      });
    },
    plugin(name, script) {
      writeFileSync(join(pluginsDir, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    },
  };
}

export interface Event {
  started?: true;
  startError?: string;
  update?: TaskStatus;
  warn?: string;
  mounts?: string[];
  closed?: true;
}

/** The agent child, in the world's namespace. */
export class AgentChild {
  readonly events: Event[] = [];
  readonly workDir: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private waiters: Array<() => void> = [];
  private buffer = '';
  stderr = '';

  constructor(
    w: World,
    options: Record<string, unknown> = {},
  ) {
    this.workDir = typeof options['workDir'] === 'string' ? options['workDir'] : join(w.dir, `work-${uniqueName('')}`);
    const agentOptions = {
      workDir: this.workDir,
      networkCniConfigDir: w.configDir,
      networkCniPluginsDir: w.pluginsDir,
      resources: 'cpus:2;mem:1024;ports:[31000-31100]',
      ...options,
    };
    this.child = spawnInWorld(w, 'cni-agent-child', [JSON.stringify(agentOptions)]);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        this.events.push(JSON.parse(this.buffer.slice(0, newline)) as Event);
        this.buffer = this.buffer.slice(newline + 1);
        for (const wake of this.waiters.splice(0)) wake();
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => (this.stderr += chunk));
    this.child.once('exit', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
    // Registered before the namespace's deletion runs (cleanups go last-in first-out).
    w.cleanup.add('stop the agent child', () => this.stop());
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitFor<T>(what: string, find: (events: Event[]) => T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find(this.events);
      if (found !== undefined) return found;
      if (!this.running) throw new Error(`the agent child exited while waiting for ${what}: ${this.stderr}${JSON.stringify(this.events)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(500, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  started(): Promise<void> {
    return this.waitFor('the agent to start', (events) => {
      const error = events.find((event) => event.startError !== undefined);
      if (error !== undefined) throw new Error(`the agent did not start: ${error.startError}`);
      return events.some((event) => event.started) ? true : undefined;
    }).then(() => undefined);
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  run(task: TaskInfo): void {
    this.send({ op: 'run', task });
  }

  updates(taskId: string): TaskStatus[] {
    return this.events.flatMap((event) => (event.update?.task_id.value === taskId ? [event.update] : []));
  }

  waitForState(taskId: string, state: TaskState, timeoutMs?: number): Promise<TaskStatus> {
    return this.waitFor(`${taskId} ${state}`, () => this.updates(taskId).find((update) => update.state === state), timeoutMs);
  }

  waitForEnd(taskId: string, timeoutMs?: number): Promise<TaskStatus> {
    const terminal = ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED'];
    return this.waitFor(`${taskId} to end`, () => this.updates(taskId).find((update) => terminal.includes(update.state)), timeoutMs);
  }

  /** Mount points under the agent's work directory, in the agent's mount namespace. */
  async mounts(): Promise<string[]> {
    const seen = this.events.length;
    this.send({ op: 'mounts' });
    return this.waitFor('the mounts', (events) => events.slice(seen).find((event) => event.mounts !== undefined)?.mounts);
  }

  warnings(): string[] {
    return this.events.flatMap((event) => (event.warn === undefined ? [] : [event.warn]));
  }

  /** The sandbox's stdout of a task, by its container id. */
  stdout(taskId: string, containerId: string): string {
    const path = join(this.workDir, 'slaves', 'stub-master-S0', 'frameworks', 'F', 'executors', taskId, 'runs', containerId, 'stdout');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  /** The agent dies at once: its containers go with it (the clone program sees to that), their networks stay. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The agent's process exits at once, its tasks running (its exit handler ends them). */
  async exit(): Promise<void> {
    this.send({ op: 'exit' });
    await this.exited;
  }

  /** Closes the agent (its containers end, their networks are left); SIGKILL if it won't. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.send({ op: 'close' });
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The container's addresses in a status update, network by network. */
export function addressesOf(status: TaskStatus): Array<{ name: string; addresses: string[] }> {
  const infos = ((status.container_status?.['network_infos'] ?? []) as Array<Record<string, unknown>>);
  return infos.map((info) => ({
    name: info['name'] as string,
    addresses: ((info['ip_addresses'] ?? []) as Array<{ ip_address: string }>).map((entry) => entry.ip_address),
  }));
}

/** What the CNI plugins may have left in the world's namespace: veths, rules naming the container, IPAM leases. */
export function leftovers(w: World, containerIds: readonly string[]): string[] {
  const found: string[] = [];
  const veths = w.host(['ip', '-o', 'link', 'show', 'type', 'veth']).stdout.trim();
  if (veths !== '') found.push(`veths: ${veths}`);
  for (const table of ['nat', 'filter']) {
    const rules = w.host(['iptables-save', '-t', table]).stdout;
    for (const line of rules.split('\n')) {
      if (containerIds.some((id) => line.includes(id)) || /^-A CNI-(DN|SN)-/.test(line) || /^:CNI-(DN|SN)-/.test(line)) {
        found.push(`iptables ${table}: ${line}`);
      }
    }
  }
  if (existsSync(w.ipamDir)) {
    for (const network of readdirSync(w.ipamDir)) {
      for (const file of readdirSync(join(w.ipamDir, network))) {
        if (/^\d+\.\d+\.\d+\.\d+$/.test(file) || file.includes(':')) found.push(`IPAM lease ${network}/${file}`);
      }
    }
  }
  return found;
}

export const ports = (begin: number, end = begin) => ({ name: 'ports', type: 'RANGES' as const, ranges: { range: [{ begin, end }] } });
