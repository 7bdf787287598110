// The agent's network step for one task: its NetworkInfos planned against
// the agent's CNI networks, and what the container then needs (a network
// namespace of its own, whose /etc files network-cni-setup binds, and the
// attach and detach around its go-ahead). Nothing here for a task that
// names no network.
import type { Resource } from '../../master/types';
import type { TaskContainer } from '../container-config';
import type { CniNetworks } from './config';
import type { Json } from './json';
import { ContainerNetworks, type NetworkOptions } from './network';
import { type NetworkRefusal, planNetworks } from './plan';
import type { NetworkSystem } from './system';

export interface TaskNetworks {
  readonly refused?: undefined;
  readonly network: TaskContainer['network'];
  /** Variables the task gets before its own: LIBPROCESS_IP=0.0.0.0, as Mesos gives it, for a libprocess to listen on its address. */
  readonly environment: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly isolation: NonNullable<TaskContainer['isolation']>;
  /** The container's networks with their addresses, once attached. */
  networkInfos(): Json[] | undefined;
}

export interface TaskNetworkRequest {
  readonly containerId: string;
  readonly runtimeDirectory: string;
  readonly networkInfos: readonly unknown[] | undefined;
  readonly resources: readonly Resource[] | undefined;
  readonly rootfs?: string;
  /** `container.hostname`; default the container's id. */
  readonly hostname?: string;
}

export function taskNetworks(
  request: TaskNetworkRequest,
  networks: CniNetworks | undefined,
  system: NetworkSystem,
  options: NetworkOptions = {},
): TaskNetworks | NetworkRefusal | undefined {
  const plan = planNetworks(
    {
      containerId: request.containerId,
      networkInfos: request.networkInfos ?? [],
      resources: request.resources,
      dir: `${request.runtimeDirectory}/cni`,
      // As Mesos: the container's id (short enough for a hostname) unless the task names one.
      hostname: request.hostname ?? request.containerId,
      ...(request.rootfs === undefined ? {} : { rootfs: request.rootfs }),
    },
    networks,
  );
  if (plan !== undefined && 'refused' in plan) return plan;
  if (plan === undefined) {
    // A hostname needs a UTS namespace, which only a container on a network gets.
    if (request.hostname === undefined) return undefined;
    return {
      refused: true,
      state: 'TASK_FAILED',
      reason: 'REASON_CONTAINER_LAUNCH_FAILED',
      message: 'Failed to launch container: a hostname of its own is not supported by this agent without a CNI network',
    };
  }
  const container = new ContainerNetworks(plan, system, options);
  return {
    network: { isolated: true, hostname: plan.hostname, networkFiles: 'external' },
    environment: [{ name: 'LIBPROCESS_IP', value: '0.0.0.0' }],
    isolation: { isolate: (pid, parentPid) => container.attach(pid, parentPid), abort: () => container.abort(), cleanup: () => container.detach() },
    networkInfos: () => container.networkInfos,
  };
}
