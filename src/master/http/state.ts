// /master/state and /version: what the master knows, with the field names
// of Mesos's own (master/readonly_handler.cpp state, common/http.cpp).
import { userInfo } from 'node:os';
import { messageJson } from '../codec';
import { formatG } from '../format';
import { type Master, MESOS_VERSION } from '../master';
import type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from '../records';
import { add, coalesce, isUnreserved, type Resources } from '../resources';
import { isTerminal } from '../status';
import type { Resource, TaskStatus } from '../types';
import { hasCapability } from '../validation/framework';
import { double, type JsonOut, raw } from './json-writer';

const STARTED = new Date();

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** What this build is: Mesos's version, and when and by whom the running build was started. */
export const BUILD = {
  date: `${STARTED.getFullYear()}-${pad(STARTED.getMonth() + 1)}-${pad(STARTED.getDate())} ${pad(STARTED.getHours())}:${pad(STARTED.getMinutes())}:${pad(STARTED.getSeconds())}`,
  time: Math.floor(STARTED.getTime() / 1000),
  user: (() => {
    try {
      return userInfo().username;
    } catch {
      return '';
    }
  })(),
};

export function versionJson(): JsonOut {
  return { version: MESOS_VERSION, build_date: BUILD.date, build_time: double(BUILD.time), build_user: BUILD.user };
}

/** Resources as the state endpoint models them: scalars summed ("cpus":8.0), ranges and sets as text. */
export function resourcesJson(list: Resources): JsonOut {
  const out: Record<string, JsonOut> = { cpus: double(0), gpus: double(0), mem: double(0), disk: double(0) };
  const scalars = new Map<string, number>([['cpus', 0], ['gpus', 0], ['mem', 0], ['disk', 0]]);
  const ranges = new Map<string, Array<{ begin: number; end: number }>>();
  const sets = new Map<string, string[]>();
  for (const resource of list) {
    const name = resource.name + (resource.revocable !== undefined ? '_revocable' : '');
    if (resource.type === 'SCALAR') scalars.set(name, (scalars.get(name) ?? 0) + (resource.scalar?.value ?? 0));
    else if (resource.type === 'RANGES') ranges.set(name, [...(ranges.get(name) ?? []), ...(resource.ranges?.range ?? [])]);
    else if (resource.type === 'SET') sets.set(name, [...new Set([...(sets.get(name) ?? []), ...(resource.set?.item ?? [])])]);
  }
  for (const [name, value] of scalars) out[name] = double(value);
  for (const [name, value] of ranges) out[name] = `[${coalesce(value).map((r) => `${r.begin}-${r.end}`).join(', ')}]`;
  for (const [name, value] of sets) out[name] = `{${value.join(', ')}}`;
  return out;
}

/** Resources in their full protobuf JSON form (the *_full fields). */
function resourcesFull(list: Resources): JsonOut {
  return list.map((r) => raw(messageJson('Resource', r)));
}

function statusJson(status: TaskStatus): JsonOut {
  return {
    state: status.state,
    timestamp: double(status.timestamp ?? 0),
    labels: status.labels as JsonOut | undefined,
    container_status: status.container_status as JsonOut | undefined,
    healthy: status.healthy,
  };
}

export function taskJson(task: TaskRecord): JsonOut {
  const resources = task.info.resources ?? [];
  return {
    id: task.info.task_id.value,
    name: task.info.name,
    framework_id: task.frameworkId,
    executor_id: task.info.executor?.executor_id.value ?? '',
    slave_id: task.agentId,
    state: task.state,
    resources: resourcesJson(resources),
    role: resources[0]?.allocation_info?.role ?? '*',
    statuses: task.statuses.map(statusJson),
    user: task.info.command?.user,
    labels: task.info.labels as JsonOut | undefined,
    discovery: task.info.discovery as JsonOut | undefined,
    container: task.info.container as JsonOut | undefined,
    health_check: task.info.health_check as JsonOut | undefined,
  };
}

function offerJson(offer: OfferRecord): JsonOut {
  return {
    id: offer.offer.id.value,
    framework_id: offer.frameworkId,
    allocation_info: { role: offer.role },
    slave_id: offer.agentId,
    resources: resourcesJson(offer.resources),
  };
}

function frameworkJson(master: Master, framework: FrameworkRecord): JsonOut {
  const info = framework.info;
  let used: Resource[] = [];
  for (const task of framework.tasks.values()) {
    if (!isTerminal(task.state)) used = add(used, task.info.resources ?? []);
  }
  let offered: Resource[] = [];
  for (const offerId of framework.offers) offered = add(offered, master.offers.get(offerId)!.resources);
  const multiRole = hasCapability(info, 'MULTI_ROLE');
  return {
    id: framework.id,
    name: info.name,
    used_resources: resourcesJson(used),
    offered_resources: resourcesJson(offered),
    capabilities: (info.capabilities ?? []).flatMap((c) => (c.type === undefined ? [] : [c.type])),
    hostname: info.hostname ?? '',
    webui_url: info.webui_url ?? '',
    active: framework.active,
    connected: framework.connection !== undefined,
    recovered: false,
    user: info.user,
    failover_timeout: double(info.failover_timeout ?? 0),
    checkpoint: info.checkpoint ?? false,
    registered_time: double(framework.registeredTime),
    unregistered_time: double(framework.unregisteredTime),
    principal: info.principal,
    resources: resourcesJson(add(used, offered)),
    reregistered_time: framework.reregisteredTime !== framework.registeredTime ? double(framework.reregisteredTime) : undefined,
    role: multiRole ? undefined : (info.role ?? '*'),
    roles: multiRole ? (info.roles ?? []) : undefined,
    tasks: [...framework.tasks.values()].map(taskJson),
    unreachable_tasks: [],
    completed_tasks: framework.completedTasks.map(taskJson),
    offers: [...framework.offers].map((id) => offerJson(master.offers.get(id)!)),
    executors: [],
    labels: info.labels as JsonOut | undefined,
    offer_constraints: {},
  };
}

function agentJson(master: Master, agent: AgentRecord): JsonOut {
  const used = master.usedResources(agent);
  const offered = master.offeredResources(agent);
  const reserved = agent.resources.filter((r) => !isUnreserved(r));
  const byRole: Record<string, JsonOut> = {};
  const byRoleFull: Record<string, JsonOut> = {};
  for (const resource of reserved) {
    const reservations = resource.reservations!;
    const role = String(reservations[reservations.length - 1]!.role);
    byRoleFull[role] = [...((byRoleFull[role] as JsonOut[] | undefined) ?? []), ...(resourcesFull([resource]) as JsonOut[])];
  }
  for (const role of Object.keys(byRoleFull)) {
    byRole[role] = resourcesJson(reserved.filter((r) => String(r.reservations![r.reservations!.length - 1]!.role) === role));
  }
  const unreserved = agent.resources.filter(isUnreserved);
  return {
    id: agent.id,
    hostname: agent.hostname,
    port: agent.port,
    attributes: {},
    pid: agent.pid,
    registered_time: double(agent.registeredTime),
    resources: resourcesJson(agent.resources),
    used_resources: resourcesJson(used),
    offered_resources: resourcesJson(offered),
    reserved_resources: byRole,
    unreserved_resources: resourcesJson(unreserved),
    active: true,
    deactivated: false,
    version: agent.version,
    capabilities: agent.capabilities,
    reserved_resources_full: byRoleFull,
    unreserved_resources_full: resourcesFull(unreserved),
    used_resources_full: resourcesFull(used),
    offered_resources_full: resourcesFull(offered),
  };
}

export function stateJson(master: Master): JsonOut {
  const info = master.info;
  return {
    version: MESOS_VERSION,
    build_date: BUILD.date,
    build_time: double(BUILD.time),
    build_user: BUILD.user,
    start_time: double(master.startTime),
    elected_time: double(master.startTime),
    id: info.id,
    pid: master.pid,
    hostname: info.hostname!,
    capabilities: (info.capabilities ?? []).map((c) => c.type ?? 'UNKNOWN'),
    activated_slaves: master.agents.size,
    deactivated_slaves: 0,
    unreachable_slaves: 0,
    leader: master.pid,
    leader_info: { id: info.id, pid: master.pid, port: info.port, hostname: info.hostname! },
    flags: {
      allocation_interval: `${formatG(master.allocationIntervalMs / 1000)}secs`,
      hostname: info.hostname!,
      ip: info.address!.ip!,
      port: String(info.port),
      root_submissions: String(master.rootSubmissions),
    },
    slaves: [...master.agents.values()].map((agent) => agentJson(master, agent)),
    recovered_slaves: [],
    frameworks: [...master.frameworks.values()].map((framework) => frameworkJson(master, framework)),
    completed_frameworks: [...master.completedFrameworks.values()].map((framework) => frameworkJson(master, framework)),
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}
