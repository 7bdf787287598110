// Who gets which agent's free resources: a small version of Mesos's
// hierarchical DRF allocator (master/allocator/mesos/hierarchical.cpp) for
// one level of roles and no quota. Each cycle, agent by agent, the roles
// in order of their dominant share, and within a role its frameworks in
// order of theirs, each framework is offered everything still free on the
// agent that its role may use, unless that is too little to be worth
// offering (less than 0.01 cpus and 32 MB of memory), the framework has
// suppressed the role, or a filter from an earlier refusal covers it.
//
// Pure bookkeeping: the master tells it what it offered and what came
// back, and asks it for a cycle's allocations with the time.
import { add, contains, isUnreserved, scalarTotal, subtract, unallocate, allocate as allocateTo } from './resources';
import type { Resource } from './types';

export interface Allocation {
  readonly frameworkId: string;
  readonly agentId: string;
  readonly role: string;
  /** With `allocation_info.role` set. */
  readonly resources: Resource[];
}

export interface FrameworkOptions {
  readonly roles: readonly string[];
  readonly suppressedRoles?: readonly string[];
  readonly capabilities?: readonly string[];
}

interface Filter {
  readonly resources: Resource[];
  readonly expiresAt: number;
}

interface FrameworkEntry {
  roles: string[];
  suppressed: Set<string>;
  capabilities: Set<string>;
  active: boolean;
  /** role -> agent -> filters */
  filters: Map<string, Map<string, Filter[]>>;
}

interface AgentEntry {
  total: Resource[];
  /** Offered or in use, by framework; without allocation roles. */
  allocated: Map<string, Resource[]>;
}

/** Mesos's Filters default, and the longest filter it keeps. */
export const DEFAULT_REFUSE_SECONDS = 5;
const MAX_REFUSE_SECONDS = 365 * 24 * 60 * 60;

const MIN_CPUS = 0.01;
const MIN_MEM = 32;

/** How long a refusal of `refuseSeconds` filters for (ms), or 0 for no filter. */
export function filterDuration(refuseSeconds: number | undefined, allocationIntervalMs: number): number {
  let seconds = refuseSeconds ?? DEFAULT_REFUSE_SECONDS;
  if (Number.isNaN(seconds) || seconds < 0) seconds = DEFAULT_REFUSE_SECONDS;
  else if (seconds > MAX_REFUSE_SECONDS) seconds = MAX_REFUSE_SECONDS;
  if (seconds === 0) return 0;
  return Math.max(allocationIntervalMs, seconds * 1000);
}

function reservationRole(resource: Resource): string | undefined {
  const reservations = resource.reservations ?? [];
  return reservations.length === 0 ? undefined : String(reservations[reservations.length - 1]!.role);
}

function allocatableTo(resource: Resource, role: string): boolean {
  if (isUnreserved(resource)) return true;
  const reserved = reservationRole(resource)!;
  return role === reserved || role.startsWith(`${reserved}/`);
}

function worthOffering(resources: readonly Resource[]): boolean {
  return (scalarTotal(resources, 'cpus') ?? 0) >= MIN_CPUS || (scalarTotal(resources, 'mem') ?? 0) >= MIN_MEM;
}

export class Allocator {
  private readonly frameworks = new Map<string, FrameworkEntry>();
  private readonly agents = new Map<string, AgentEntry>();

  constructor(private readonly allocationIntervalMs: number) {}

  addAgent(agentId: string, total: readonly Resource[]): void {
    this.agents.set(agentId, { total: add([], unallocate(total)), allocated: new Map() });
  }

  removeAgent(agentId: string): void {
    this.agents.delete(agentId);
    for (const framework of this.frameworks.values()) {
      for (const byAgent of framework.filters.values()) byAgent.delete(agentId);
    }
  }

  addFramework(frameworkId: string, options: FrameworkOptions): void {
    this.frameworks.set(frameworkId, {
      roles: [...options.roles],
      suppressed: new Set(options.suppressedRoles ?? []),
      capabilities: new Set(options.capabilities ?? []),
      active: true,
      filters: new Map(),
    });
  }

  /** New roles, suppressed roles (exactly these) and capabilities; filters of dropped roles go. */
  updateFramework(frameworkId: string, options: FrameworkOptions): void {
    const framework = this.frameworks.get(frameworkId);
    if (framework === undefined) return;
    framework.roles = [...options.roles];
    framework.suppressed = new Set(options.suppressedRoles ?? []);
    framework.capabilities = new Set(options.capabilities ?? []);
    for (const role of [...framework.filters.keys()]) if (!framework.roles.includes(role)) framework.filters.delete(role);
  }

  removeFramework(frameworkId: string): void {
    this.frameworks.delete(frameworkId);
    for (const agent of this.agents.values()) agent.allocated.delete(frameworkId);
  }

  setActive(frameworkId: string, active: boolean): void {
    const framework = this.frameworks.get(frameworkId);
    if (framework !== undefined) framework.active = active;
  }

  /**
   * Resources come back from a framework (a declined or rescinded offer,
   * what an ACCEPT left unused, a finished task). With `refuseSeconds`,
   * the framework is not offered them again for that long.
   */
  recover(frameworkId: string, agentId: string, resources: readonly Resource[], nowMs: number, refuseSeconds?: number): void {
    const agent = this.agents.get(agentId);
    if (agent === undefined || resources.length === 0) return;
    const plain = unallocate(resources);
    const held = agent.allocated.get(frameworkId) ?? [];
    const left = subtract(held, plain);
    if (left.length === 0) agent.allocated.delete(frameworkId);
    else agent.allocated.set(frameworkId, left);

    const framework = this.frameworks.get(frameworkId);
    if (framework === undefined || refuseSeconds === undefined) return;
    const duration = filterDuration(refuseSeconds, this.allocationIntervalMs);
    if (duration === 0) return;
    const role = resources[0]?.allocation_info?.role ?? framework.roles[0] ?? '*';
    const byAgent = framework.filters.get(role) ?? new Map<string, Filter[]>();
    byAgent.set(agentId, [...(byAgent.get(agentId) ?? []), { resources: plain, expiresAt: nowMs + duration }]);
    framework.filters.set(role, byAgent);
  }

  /** REVIVE: filters of the roles (all the framework's when none are named) go, and they are unsuppressed. */
  revive(frameworkId: string, roles: readonly string[]): void {
    const framework = this.frameworks.get(frameworkId);
    if (framework === undefined) return;
    for (const role of roles.length === 0 ? framework.roles : roles) {
      framework.filters.delete(role);
      framework.suppressed.delete(role);
    }
  }

  /** SUPPRESS: no offers for the roles (all the framework's when none are named) until revived. */
  suppress(frameworkId: string, roles: readonly string[]): void {
    const framework = this.frameworks.get(frameworkId);
    if (framework === undefined) return;
    for (const role of roles.length === 0 ? framework.roles : roles) framework.suppressed.add(role);
  }

  suppressedRoles(frameworkId: string): string[] {
    return [...(this.frameworks.get(frameworkId)?.suppressed ?? [])].sort();
  }

  private totals(): Map<string, number> {
    const totals = new Map<string, number>();
    for (const agent of this.agents.values()) {
      for (const name of ['cpus', 'mem', 'disk', 'gpus']) {
        totals.set(name, (totals.get(name) ?? 0) + (scalarTotal(agent.total, name) ?? 0));
      }
    }
    return totals;
  }

  private share(frameworkIds: readonly string[], totals: Map<string, number>): number {
    let share = 0;
    for (const [name, total] of totals) {
      if (total <= 0) continue;
      let used = 0;
      for (const agent of this.agents.values()) {
        for (const id of frameworkIds) used += scalarTotal(agent.allocated.get(id) ?? [], name) ?? 0;
      }
      share = Math.max(share, used / total);
    }
    return share;
  }

  private filtered(framework: FrameworkEntry, role: string, agentId: string, resources: Resource[]): boolean {
    return (framework.filters.get(role)?.get(agentId) ?? []).some((filter) => contains(filter.resources, resources));
  }

  private expireFilters(nowMs: number): void {
    for (const framework of this.frameworks.values()) {
      for (const byAgent of framework.filters.values()) {
        for (const [agentId, filters] of byAgent) {
          const live = filters.filter((f) => f.expiresAt > nowMs);
          if (live.length === 0) byAgent.delete(agentId);
          else byAgent.set(agentId, live);
        }
      }
    }
  }

  /** One allocation cycle; what it returns is counted as allocated until recovered. */
  allocate(nowMs: number): Allocation[] {
    this.expireFilters(nowMs);
    const totals = this.totals();
    const out: Allocation[] = [];
    for (const [agentId, agent] of this.agents) {
      let free = [...agent.total];
      for (const held of agent.allocated.values()) free = subtract(free, held);
      const agentHasGpus = (scalarTotal(agent.total, 'gpus') ?? 0) > 0;

      const roles = new Map<string, string[]>();
      for (const [id, framework] of this.frameworks) {
        if (!framework.active) continue;
        for (const role of framework.roles) roles.set(role, [...(roles.get(role) ?? []), id]);
      }
      const roleOrder = [...roles.keys()]
        .map((role) => ({ role, share: this.share(roles.get(role)!, totals) }))
        .sort((a, b) => a.share - b.share || (a.role < b.role ? -1 : 1));

      for (const { role } of roleOrder) {
        const order = roles
          .get(role)!
          .map((id) => ({ id, share: this.share([id], totals) }))
          .sort((a, b) => a.share - b.share || (a.id < b.id ? -1 : 1));
        for (const { id } of order) {
          const framework = this.frameworks.get(id)!;
          if (framework.suppressed.has(role)) continue;
          if (agentHasGpus && !framework.capabilities.has('GPU_RESOURCES')) continue;
          const offer = free.filter((r) => allocatableTo(r, role));
          if (offer.length === 0 || !worthOffering(offer)) continue;
          if (this.filtered(framework, role, agentId, offer)) continue;
          agent.allocated.set(id, add(agent.allocated.get(id) ?? [], offer));
          free = subtract(free, offer);
          out.push({ frameworkId: id, agentId, role, resources: allocateTo(offer, role) });
        }
      }
    }
    return out;
  }
}
