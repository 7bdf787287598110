// The TaskInfo mesos-execute launches, from its flags, as Mesos's builds it
// (src/cli/execute.cpp): named and identified by --name, --resources in
// Mesos's text form, the command with --env as its environment, a MESOS
// container when --effective_capabilities, --bounding_capabilities,
// --rlimits or --tty ask for one. `--task` gives the whole TaskInfo as JSON
// instead. Ours on top: --shell=false splits the command into the program
// and its arguments (Mesos's leaves the command empty), --user sets the
// command's user, --port_mappings go to the first of --networks (their host
// ports added to the task's ports), --rootfs becomes the label our local agents take, and an
// unknown enum name (a capability, an rlimit) is refused, not dropped.
// Pure: throws TaskFlagError, one line.
import { ROOTFS_LABEL } from '../agent/task-info';
import { parseResourceText, ResourceTextError } from '../master/resource-text';
import { readJson } from '../proto/json';
import { ProtoError } from '../proto/errors';
import { v1Type } from '../proto/v1';
import type { TaskInfo } from '../scheduler/types';
import type { JsonObject, JsonValue } from '../subcommand/flags';
import { quoteValue } from '../subcommand/quote';

const TaskInfoType = v1Type<TaskInfo>('mesos.v1.TaskInfo');
// Stout would drop an unknown capability or rlimit name, and the task would
// run with less than it asked for: refused instead.
const STRICT = { strict: true } as const;

/** A flag that can't describe a task. `usage` errors are shown with the usage, as in Mesos. */
export class TaskFlagError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
  }
}

export interface TaskFlags {
  readonly name?: string | undefined;
  readonly command?: string | undefined;
  readonly shell: boolean;
  readonly env?: JsonObject | undefined;
  readonly resources: string;
  readonly effective_capabilities?: JsonObject | undefined;
  readonly bounding_capabilities?: JsonObject | undefined;
  readonly rlimits?: JsonObject | undefined;
  readonly tty: boolean;
  readonly user?: string | undefined;
  readonly rootfs?: string | undefined;
  readonly task?: JsonObject | undefined;
  readonly networks?: string | undefined;
  readonly docker_image?: string | undefined;
  readonly port_mappings?: string | undefined;
}

interface PortMapping {
  readonly host_port: number;
  readonly container_port: number;
  readonly protocol?: string;
}

/** --port_mappings: "HOST:CONTAINER[/tcp|/udp]", comma-separated. */
function portMappingsOf(text: string): PortMapping[] {
  return text.split(',').map((entry) => {
    const match = /^\s*(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?\s*$/i.exec(entry);
    const [host, container] = [Number(match?.[1]), Number(match?.[2])];
    if (match === null || !(host >= 1 && host <= 65535 && container >= 1 && container <= 65535)) {
      throw new TaskFlagError(`Invalid --port_mappings '${text}': expected HOST:CONTAINER[/tcp|/udp] with ports 1 to 65535, comma-separated`, true);
    }
    return { host_port: host, container_port: container, ...(match[3] === undefined ? {} : { protocol: match[3].toLowerCase() }) };
  });
}

/** Mesos's --networks: the networks' names, comma-separated, in order. */
function networkNamesOf(text: string): string[] {
  const names = text.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) throw new TaskFlagError(`Invalid --networks '${text}': a network name is empty`, true);
  return names;
}

/** `resources` with a `ports` range for each host port they don't cover already. */
function withHostPorts(resources: JsonValue[], mappings: readonly PortMapping[]): JsonValue[] {
  const covered = (port: number) =>
    resources.some((resource) => {
      const entry = resource as JsonObject;
      const ranges = ((entry['ranges'] as JsonObject | undefined)?.['range'] ?? []) as JsonObject[];
      return entry['name'] === 'ports' && ranges.some((range) => (range['begin'] as number) <= port && port <= (range['end'] as number));
    });
  const missing = [...new Set(mappings.map((mapping) => mapping.host_port).filter((port) => !covered(port)))];
  if (missing.length === 0) return resources;
  return [...resources, { name: 'ports', type: 'RANGES', ranges: { range: missing.map((port) => ({ begin: port, end: port })) } }];
}

function loadError(flag: string, value: JsonValue, reason: string): TaskFlagError {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return new TaskFlagError(`Failed to load flag '${flag}': Failed to load value '${quoteValue(text)}': ${reason}`, true);
}

function environmentOf(value: JsonObject): JsonObject {
  const variables: JsonObject[] = [];
  for (const [name, variable] of Object.entries(value)) {
    if (typeof variable !== 'string') throw loadError('env', value, `The value of '${name}' is not a string`);
    variables.push({ name, value: variable });
  }
  return { variables };
}

function commandOf(flags: TaskFlags): JsonObject {
  const command = flags.command;
  let info: JsonObject;
  if (flags.shell) {
    info = { shell: true, value: command! };
  } else if (command === undefined) {
    // An image's entrypoint and cmd.
    info = { shell: false };
  } else {
    const words = command.trim().split(/\s+/).filter((word) => word !== '');
    if (words.length === 0) throw new TaskFlagError('Missing required option --command', true);
    info = { shell: false, value: words[0]!, arguments: words };
  }
  if (flags.env !== undefined) info['environment'] = environmentOf(flags.env);
  if (flags.user !== undefined) info['user'] = flags.user;
  return info;
}

/** ContainerInfo from the container flags, as Mesos's getContainerInfo makes it; undefined when none is asked for. */
function containerOf(flags: TaskFlags, mappings: readonly PortMapping[]): JsonObject | undefined {
  const linux: JsonObject = {};
  if (flags.effective_capabilities !== undefined) linux['effective_capabilities'] = flags.effective_capabilities;
  if (flags.bounding_capabilities !== undefined) linux['bounding_capabilities'] = flags.bounding_capabilities;
  const container: JsonObject = { type: 'MESOS' };
  if (Object.keys(linux).length > 0) container['linux_info'] = linux;
  if (flags.rlimits !== undefined) container['rlimit_info'] = flags.rlimits;
  if (flags.tty) container['tty_info'] = {};
  if (flags.docker_image !== undefined) container['mesos'] = { image: { type: 'DOCKER', docker: { name: flags.docker_image } } };
  if (flags.networks !== undefined) {
    const networks: JsonObject[] = networkNamesOf(flags.networks).map((name) => ({ name }));
    if (mappings.length > 0) networks[0] = { ...networks[0]!, port_mappings: mappings as unknown as JsonValue[] };
    container['network_infos'] = networks;
  }
  return Object.keys(container).length > 1 ? container : undefined;
}

function resourcesOf(text: string): JsonValue[] {
  try {
    // The master's JSON form: the whole task is read at once below.
    return parseResourceText(text) as unknown as JsonValue[];
  } catch (error) {
    if (error instanceof ResourceTextError) throw new TaskFlagError(`Failed to parse resources '${text}': ${error.message}`);
    throw error;
  }
}

/** A ProtoError about a part of the task a flag set, in the terms of that flag. */
function inFlagTerms(error: ProtoError): TaskFlagError {
  const flags: Array<[string, string]> = [
    ['container.linux_info.effective_capabilities.', 'effective_capabilities'],
    ['container.linux_info.bounding_capabilities.', 'bounding_capabilities'],
    ['container.rlimit_info.', 'rlimits'],
    ['command.environment.', 'env'],
  ];
  for (const [prefix, flag] of flags) {
    if (error.path?.startsWith(prefix)) return new TaskFlagError(`Invalid --${flag}: ${error.message.replaceAll(`'${prefix}`, "'")}`);
  }
  return new TaskFlagError(`Invalid task: ${error.message}`);
}

function withRootfs(task: JsonObject, rootfs: string | undefined): JsonObject {
  if (rootfs === undefined) return task;
  const labels = (task['labels'] as JsonObject | undefined)?.['labels'];
  const list = Array.isArray(labels) ? labels : [];
  return { ...task, labels: { labels: [...list, { key: ROOTFS_LABEL, value: rootfs }] } };
}

/** The task the flags describe, in the protobuf layer's form. */
export function taskInfoOf(flags: TaskFlags): TaskInfo {
  if (flags.task !== undefined) {
    let task: TaskInfo;
    try {
      task = readJson(TaskInfoType, withRootfs(flags.task, flags.rootfs), STRICT);
    } catch (error) {
      if (error instanceof ProtoError) throw loadError('task', flags.task, error.message);
      throw error;
    }
    return task;
  }
  if (flags.port_mappings !== undefined && flags.networks === undefined) {
    throw new TaskFlagError("'--port_mappings' can only be set with '--networks'", true);
  }
  const mappings = flags.port_mappings === undefined ? [] : portMappingsOf(flags.port_mappings);
  const json: JsonObject = {
    name: flags.name!,
    task_id: { value: flags.name! },
    // Set from the offer at launch; a TaskInfo needs one to be read.
    agent_id: { value: '' },
    resources: withHostPorts(resourcesOf(flags.resources), mappings),
    command: commandOf(flags),
  };
  const container = containerOf(flags, mappings);
  if (container !== undefined) json['container'] = container;
  try {
    return readJson(TaskInfoType, withRootfs(json, flags.rootfs), STRICT);
  } catch (error) {
    if (error instanceof ProtoError) throw inFlagTerms(error);
    throw error;
  }
}
