// What a task's `container.network_infos` ask of the agent's CNI networks,
// decided before anything starts, as Mesos's network/cni isolator decides
// it in `prepare`: each NetworkInfo with a name joins that network (one
// without a name asks for nothing), in order, as eth0, eth1, ...; each
// network's configuration goes to its plugin with the NetworkInfo under
// `args["org.apache.mesos"].network_info`; port mappings go to the
// standard `portmap` plugin, chained after the network's own, their host
// ports out of the task's `ports` resources. Pure: names the task chose are
// looked up among the operator's networks and never reach a path (the
// files of an attachment are named after its interface).
import { quoteValue } from '../../subcommand/quote';
import type { Resource } from '../../master/types';
import type { CniNetworks } from './config';
import { isObject, type Json } from './json';

export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: string;
}

/** One network the container joins. */
export interface Attachment {
  readonly network: string;
  readonly ifname: string;
  /** The task's NetworkInfo, as it gave it: status updates echo it, with the addresses. */
  readonly networkInfo: Json;
  readonly plugin: string;
  /** What the plugin reads on stdin: the operator's configuration with Mesos's `args`. */
  readonly config: Json;
  /** The attachment's own directory: its configuration and result are kept there. */
  readonly dir: string;
  readonly portMappings: readonly PortMapping[];
}

export interface NetworkPlan {
  readonly containerId: string;
  /** CNI_PATH. */
  readonly pluginsDir: string;
  readonly portmap?: string;
  /** The container's directory of network state, inside its runtime directory. */
  readonly dir: string;
  /** The bind mount of the container's network namespace: CNI_NETNS. */
  readonly netns: string;
  readonly hostname: string;
  readonly rootfs?: string;
  readonly attachments: readonly Attachment[];
}

export interface NetworkRefusal {
  readonly refused: true;
  readonly state: 'TASK_ERROR' | 'TASK_FAILED';
  readonly reason: 'REASON_TASK_INVALID' | 'REASON_CONTAINER_LAUNCH_FAILED';
  readonly message: string;
}

export interface NetworkRequest {
  readonly containerId: string;
  /** `container.network_infos` as the task gave them. */
  readonly networkInfos: readonly unknown[];
  readonly resources: readonly Resource[] | undefined;
  /** Where the container's network state goes. */
  readonly dir: string;
  readonly hostname: string;
  readonly rootfs?: string;
}

const launchFailure = (message: string): NetworkRefusal => ({
  refused: true,
  state: 'TASK_FAILED',
  reason: 'REASON_CONTAINER_LAUNCH_FAILED',
  message: `Failed to launch container: ${message}`,
});

const invalid = (message: string): NetworkRefusal => ({ refused: true, state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message });

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

const isPort = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;

/** The task's `ports` ranges. */
function portRanges(resources: readonly Resource[] | undefined): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const resource of resources ?? []) {
    if (resource.name !== 'ports' || resource.type !== 'RANGES') continue;
    for (const range of resource.ranges?.range ?? []) ranges.push([Number(range.begin), Number(range.end)]);
  }
  return ranges;
}

function portMappingsOf(info: Json, where: string, ranges: Array<[number, number]>): PortMapping[] | NetworkRefusal {
  const list = info['port_mappings'];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return invalid(`Invalid ${where}.port_mappings: expecting a list`);
  const mappings: PortMapping[] = [];
  for (const [index, entry] of list.entries()) {
    const at = `${where}.port_mappings[${index}]`;
    if (!isObject(entry) || !isPort(entry['host_port']) || !isPort(entry['container_port'])) {
      return invalid(`Invalid ${at}: 'host_port' and 'container_port' must be ports (1 to 65535)`);
    }
    const protocol = entry['protocol'] ?? 'tcp';
    if (typeof protocol !== 'string' || !PROTOCOLS.has(protocol.toLowerCase())) {
      return invalid(`Invalid ${at}: unknown protocol '${quoteValue(String(protocol))}' (expecting tcp, udp or sctp)`);
    }
    const hostPort = entry['host_port'];
    if (!ranges.some(([begin, end]) => hostPort >= begin && hostPort <= end)) {
      return invalid(`Invalid ${at}: host port ${hostPort} is not in the task's 'ports' resources`);
    }
    mappings.push({ hostPort, containerPort: entry['container_port'], protocol: protocol.toLowerCase() });
  }
  return mappings;
}

/**
 * The networks a task's container joins, or why it can't; undefined when
 * it joins none (no NetworkInfo names a network).
 */
export function planNetworks(request: NetworkRequest, networks: CniNetworks | undefined): NetworkPlan | NetworkRefusal | undefined {
  const ranges = portRanges(request.resources);
  const attachments: Attachment[] = [];
  const hostPorts = new Set<string>();
  for (const [index, info] of request.networkInfos.entries()) {
    const where = `container.network_infos[${index}]`;
    if (!isObject(info)) return invalid(`Invalid ${where}: expecting a NetworkInfo`);
    const name = info['name'];
    if (name === undefined || name === null) {
      // Mesos: a NetworkInfo without a name asks for no CNI network.
      if (info['port_mappings'] !== undefined) return invalid(`Invalid ${where}: port mappings need a network 'name'`);
      continue;
    }
    if (typeof name !== 'string') return invalid(`Invalid ${where}.name: expecting a string`);
    const network = networks?.networks.get(name);
    if (network === undefined) return launchFailure(`Unknown CNI network '${quoteValue(name)}'`);
    if (attachments.some((attachment) => attachment.network === name)) {
      return launchFailure(`Attempted to join CNI network '${quoteValue(name)}' multiple times`);
    }
    const portMappings = portMappingsOf(info, where, ranges);
    if (!Array.isArray(portMappings)) return portMappings;
    for (const mapping of portMappings) {
      const key = `${mapping.protocol}/${mapping.hostPort}`;
      if (hostPorts.has(key)) return invalid(`Invalid ${where}: host port ${key} is mapped twice`);
      hostPorts.add(key);
    }
    if (portMappings.length > 0 && networks?.portmap === undefined) {
      return launchFailure(`Port mappings need the CNI plugin 'portmap' in '${networks!.pluginsDir}'`);
    }
    const ifname = `eth${attachments.length}`;
    const args = isObject(network.config['args']) ? network.config['args'] : {};
    attachments.push({
      network: name,
      ifname,
      networkInfo: info,
      plugin: network.plugin,
      config: { ...network.config, args: { ...args, 'org.apache.mesos': { network_info: info } } },
      dir: `${request.dir}/${ifname}`,
      portMappings,
    });
  }
  if (attachments.length === 0) return undefined;
  return {
    containerId: request.containerId,
    pluginsDir: networks!.pluginsDir,
    ...(networks!.portmap === undefined ? {} : { portmap: networks!.portmap }),
    dir: request.dir,
    netns: `${request.dir}/ns`,
    hostname: request.hostname,
    ...(request.rootfs === undefined ? {} : { rootfs: request.rootfs }),
    attachments,
  };
}

export type CniCommand = 'ADD' | 'DEL';

/** The environment Mesos gives a plugin; without a namespace handle (DEL after it is gone) no CNI_NETNS. */
export function pluginEnvironment(
  plan: NetworkPlan,
  attachment: Attachment,
  command: CniCommand,
  options: { readonly netns: boolean; readonly path: string | undefined },
): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: plan.containerId,
    CNI_PATH: plan.pluginsDir,
    CNI_IFNAME: attachment.ifname,
    ...(options.netns ? { CNI_NETNS: plan.netns } : {}),
    // Plugins run iptables and friends.
    PATH: options.path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
}

/**
 * The `portmap` plugin's configuration, chained after the network's own as
 * a configuration list would chain it: the network's name and version, the
 * mappings as its runtime configuration, and the network plugin's result.
 */
export function portmapConfig(attachment: Attachment, prevResult: Json | undefined): Json {
  const config: Json = {
    ...(attachment.config['cniVersion'] === undefined ? {} : { cniVersion: attachment.config['cniVersion'] }),
    name: attachment.network,
    type: 'portmap',
    capabilities: { portMappings: true },
    runtimeConfig: {
      portMappings: attachment.portMappings.map((mapping) => ({
        hostPort: mapping.hostPort,
        containerPort: mapping.containerPort,
        protocol: mapping.protocol,
      })),
    },
  };
  if (prevResult !== undefined) config['prevResult'] = prevResult;
  return config;
}
