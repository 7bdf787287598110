// What every container gets unless the operator says otherwise, from the
// agent's own Mesos flags in its environment:
//
//   MESOS_ISOLATION               which of our isolators act: filesystem/linux
//                                 (masked paths, read-only parts of /proc),
//                                 linux/capabilities, linux/seccomp; default all three
//   MESOS_EFFECTIVE_CAPABILITIES  a CapabilityInfo (JSON): the task's capabilities
//                                 unless it names its own; default Docker's set less MKNOD
//   MESOS_BOUNDING_CAPABILITIES   a CapabilityInfo: the most a task may ask for
//   MESOS_SECCOMP_CONFIG_DIR      where profiles are; default the package's seccomp/
//   MESOS_SECCOMP_PROFILE_NAME    the default profile there; default default.json
//                                 when no config dir is given
//
// containerDefaults reads them once (throwing DefaultsError for a bad one,
// so the agent doesn't start); taskDefaults applies them to one task, as
// Mesos's linux/capabilities isolator weighs a task's own capabilities
// against the operator's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAPABILITIES } from '../launch/launch-info';
import type { JsonObject } from '../subcommand/flags';
import { seccompConfigDir } from './paths';
import { parseSeccompProfile } from './seccomp-profile';

export class DefaultsError extends Error {}

export const FILESYSTEM_ISOLATOR = 'filesystem/linux';
export const CAPABILITIES_ISOLATOR = 'linux/capabilities';
export const SECCOMP_ISOLATOR = 'linux/seccomp';
export const DEFAULT_ISOLATION = [FILESYSTEM_ISOLATOR, CAPABILITIES_ISOLATOR, SECCOMP_ISOLATOR];

/**
 * Docker's default capability set, without MKNOD: a task makes no device
 * nodes (Docker relies on its device cgroup to make them useless instead).
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/** Mesos's masked paths for a container with a root filesystem of its own; here every container gets them. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/key-users',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/firmware',
];

export interface ContainerDefaults {
  /** Masked paths and read-only /proc parts. */
  readonly filesystem: boolean;
  /** Absent: no capability defaults at all (linux/capabilities is off). */
  readonly capabilities?: { readonly effective?: readonly string[]; readonly bounding?: readonly string[]; readonly builtIn: boolean };
  /** linux/seccomp: where profiles are, and the default profile (launch info) with its name; absent: no filter. */
  readonly seccomp?: { readonly configDir: string; readonly default?: { readonly name: string; readonly profile: JsonObject } };
}

function capabilityFlag(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DefaultsError(`Failed to load flag '${name.slice('MESOS_'.length).toLowerCase()}': ${(error as Error).message}`);
  }
  const list = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>)['capabilities'] ?? [] : undefined;
  if (!Array.isArray(list) || !list.every((entry): entry is string => typeof entry === 'string')) {
    throw new DefaultsError(`${name} must be a CapabilityInfo: {"capabilities": ["NET_RAW", ...]}`);
  }
  for (const capability of list) {
    if (!Object.prototype.hasOwnProperty.call(CAPABILITIES, capability)) throw new DefaultsError(`${name}: unknown capability '${capability}'`);
  }
  return list;
}

function isolation(env: NodeJS.ProcessEnv): Set<string> {
  const text = env['MESOS_ISOLATION'];
  if (text === undefined) return new Set(DEFAULT_ISOLATION);
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names) {
    if (!/^[a-z_0-9]+\/[a-z_0-9]+$/.test(name)) throw new DefaultsError(`Unknown or unsupported isolator '${name}'`);
  }
  return new Set(names);
}

/** The profile `name` of `dir`, as launch info, or why not. */
function readProfile(dir: string, name: string): JsonObject | string {
  // A name, not a path: nothing outside the directory is read.
  if (name.includes('/') || name === '.' || name === '..' || name === '') return `Invalid Seccomp profile name '${name}'`;
  const path = join(dir, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return `Failed to read Seccomp profile '${path}': ${(error as Error).message}`;
  }
  try {
    return parseSeccompProfile(text);
  } catch (error) {
    return `Failed to parse Seccomp profile '${path}': ${(error as Error).message}`;
  }
}

/**
 * The profile a task gets, as Mesos's linux/seccomp isolator decides: its
 * own `profile_name` (of the config directory), none when it asks to be
 * `unconfined`, else the default. Without linux/seccomp a task that names
 * a profile is refused (it asked for a filter it would not get). A string
 * is the failure.
 */
export function taskSeccomp(defaults: ContainerDefaults, asked: { readonly profileName?: string; readonly unconfined?: boolean } | undefined): JsonObject | undefined | string {
  const seccomp = defaults.seccomp;
  if (asked === undefined) return seccomp?.default?.profile;
  if (asked.unconfined === true && asked.profileName !== undefined) {
    return "Invalid Seccomp configuration: 'profile_name' given even though 'unconfined' Seccomp setting is enabled";
  }
  if (asked.profileName !== undefined) {
    if (seccomp === undefined) return `Seccomp profile '${asked.profileName}' asked for, but the 'linux/seccomp' isolator is not enabled`;
    return readProfile(seccomp.configDir, asked.profileName);
  }
  if (asked.unconfined === true) return undefined;
  return 'Missing Seccomp profile name';
}

export function containerDefaults(env: NodeJS.ProcessEnv = process.env): ContainerDefaults {
  const isolators = isolation(env);
  let capabilities: ContainerDefaults['capabilities'];
  if (isolators.has(CAPABILITIES_ISOLATOR)) {
    const effective = capabilityFlag(env, 'MESOS_EFFECTIVE_CAPABILITIES');
    const bounding = capabilityFlag(env, 'MESOS_BOUNDING_CAPABILITIES');
    capabilities =
      effective === undefined && bounding === undefined
        ? { effective: DEFAULT_CAPABILITIES, builtIn: true }
        : { ...(effective === undefined ? {} : { effective }), ...(bounding === undefined ? {} : { bounding }), builtIn: false };
  }
  let seccomp: ContainerDefaults['seccomp'];
  if (isolators.has(SECCOMP_ISOLATOR)) {
    const givenDir = env['MESOS_SECCOMP_CONFIG_DIR'];
    const given = givenDir !== undefined && givenDir !== '';
    const dir = given ? givenDir : seccompConfigDir();
    // As Mesos: a config directory without a profile name means no default profile.
    const name = env['MESOS_SECCOMP_PROFILE_NAME'] || (given ? undefined : 'default.json');
    const profile = name === undefined ? undefined : readProfile(dir, name);
    if (typeof profile === 'string') throw new DefaultsError(profile);
    seccomp = { configDir: dir, ...(profile === undefined ? {} : { default: { name: name!, profile } }) };
  }
  return {
    filesystem: isolators.has(FILESYSTEM_ISOLATOR),
    ...(capabilities === undefined ? {} : { capabilities }),
    ...(seccomp === undefined ? {} : { seccomp }),
  };
}

export interface TaskCapabilities {
  readonly effective?: readonly string[];
  readonly bounding?: readonly string[];
}

/**
 * The capabilities a task gets, as Mesos's linux/capabilities isolator
 * decides: its own effective set, else the operator's; its own bounding
 * set, which must lie within the operator's; else the operator's, else the
 * effective set; and the effective set within the bounding one. Our
 * built-in default binds a task that doesn't run as root only as its
 * bounding set: it is never handed capabilities a plain user would not have.
 * A string is the failure.
 */
export function taskCapabilities(defaults: ContainerDefaults, task: TaskCapabilities & { readonly asRoot: boolean }): TaskCapabilities | string {
  const operator = defaults.capabilities;
  if (operator === undefined) {
    return { ...(task.effective === undefined ? {} : { effective: task.effective }), ...(task.bounding === undefined ? {} : { bounding: task.bounding }) };
  }
  const describe = (list: readonly string[]) => `'{ ${[...new Set(list)].sort().join(', ')} }'`;
  let effective = task.effective;
  let bounding = task.bounding;
  if (bounding !== undefined && operator.bounding !== undefined && !bounding.every((name) => operator.bounding!.includes(name))) {
    return `Bounding capabilities ${describe(bounding)}, but only ${describe(operator.bounding)} are allowed`;
  }
  if (effective === undefined && task.bounding === undefined && operator.builtIn && !task.asRoot) {
    return { bounding: operator.effective! };
  }
  if (effective === undefined && bounding !== undefined && operator.builtIn) {
    // Our default within the task's own bounding set: the task asked for no more than that.
    effective = operator.effective!.filter((name) => bounding!.includes(name));
  }
  effective ??= operator.effective;
  bounding ??= operator.bounding ?? effective;
  if (effective !== undefined && bounding !== undefined && !effective.every((name) => bounding!.includes(name))) {
    return `Requested capabilities ${describe(effective)}, but only ${describe(bounding)} are allowed`;
  }
  return { ...(effective === undefined ? {} : { effective }), ...(bounding === undefined ? {} : { bounding }) };
}

/** What a task's container gets of the defaults: the fields of its TaskContainer, or the failure. */
export interface TaskDefaults {
  readonly effectiveCapabilities?: readonly string[];
  readonly boundingCapabilities?: readonly string[];
  readonly maskedPaths?: readonly string[];
  readonly readOnlyProc: boolean;
  readonly seccompProfile?: JsonObject;
}

export function taskDefaults(
  defaults: ContainerDefaults,
  task: {
    readonly effectiveCapabilities?: readonly string[];
    readonly boundingCapabilities?: readonly string[];
    readonly asRoot: boolean;
    readonly rootfs: boolean;
    readonly seccomp?: { readonly profileName?: string; readonly unconfined?: boolean };
  },
): TaskDefaults | string {
  const capabilities = taskCapabilities(defaults, {
    ...(task.effectiveCapabilities === undefined ? {} : { effective: task.effectiveCapabilities }),
    ...(task.boundingCapabilities === undefined ? {} : { bounding: task.boundingCapabilities }),
    asRoot: task.asRoot,
  });
  if (typeof capabilities === 'string') return capabilities;
  const seccompProfile = taskSeccomp(defaults, task.seccomp);
  if (typeof seccompProfile === 'string') return seccompProfile;
  return {
    ...(capabilities.effective === undefined ? {} : { effectiveCapabilities: capabilities.effective }),
    ...(capabilities.bounding === undefined ? {} : { boundingCapabilities: capabilities.bounding }),
    ...(defaults.filesystem ? { maskedPaths: MASKED_PATHS } : {}),
    // Without filesystem/linux a rootfs still gets them, as it always did: only a container on the host's files goes without.
    readOnlyProc: defaults.filesystem || task.rootfs,
    ...(seccompProfile === undefined ? {} : { seccompProfile }),
  };
}
