// A framework's life: SUBSCRIBE (a new framework, or a known one failing
// over to a new stream), its stream closing (disconnected, then removed
// after its failover timeout) and TEARDOWN (master/master.cpp subscribe,
// _subscribe, failoverFramework, exited, removeFramework).
import type { Master } from '../master';
import type { FrameworkConnection, FrameworkRecord } from '../records';
import type { FrameworkInfo, Subscribe } from '../types';
import { frameworkInfoError, frameworkUpdateError, rolesOf, suppressedRolesError } from '../validation/framework';

/** Why the master refuses a FrameworkInfo, in Mesos's order (Master::validateFramework). */
export function refusal(master: Master, info: FrameworkInfo): string | undefined {
  const invalid = frameworkInfoError(info);
  if (invalid !== undefined) return invalid;
  if (info.user === 'root' && !master.rootSubmissions) {
    return "User 'root' is not allowed to run frameworks without --root_submissions set";
  }
  if (info.id !== undefined && master.completedFrameworks.has(info.id.value)) return 'Framework has been removed';
  return undefined;
}

/** Why the allocator options (suppressed roles, offer constraints) don't fit the framework's roles. */
export function optionsError(
  info: FrameworkInfo,
  suppressedRoles: readonly string[],
  offerConstraints: Record<string, unknown> | undefined,
): string | undefined {
  const roles = rolesOf(info);
  const suppressed = suppressedRolesError(roles, suppressedRoles);
  if (suppressed !== undefined) return suppressed;
  const constrained = Object.keys((offerConstraints?.role_constraints as Record<string, unknown> | undefined) ?? {});
  for (const role of constrained) {
    if (!roles.includes(role)) {
      return `Offer constraints specify \`role_constraints\` for a role '${role}'not contained in the set of roles`;
    }
  }
  return undefined;
}

function refuse(connection: FrameworkConnection, message: string): void {
  connection.send({ type: 'ERROR', error: { message } });
  connection.close();
}

function subscribed(master: Master, framework: FrameworkRecord): void {
  master.send(framework, {
    type: 'SUBSCRIBED',
    subscribed: {
      framework_id: { value: framework.id },
      heartbeat_interval_seconds: master.heartbeatIntervalMs / 1000,
      master_info: master.info,
    },
  });
  master.startHeartbeat(framework);
}

function newRecord(master: Master, id: string, info: FrameworkInfo, connection: FrameworkConnection): FrameworkRecord {
  const now = master.nowSeconds();
  return {
    id,
    info: { ...info, id: { value: id } },
    connection,
    active: true,
    tasks: new Map(),
    completedTasks: [],
    offers: new Set(),
    executors: new Map(),
    registeredTime: now,
    reregisteredTime: now,
    unregisteredTime: 0,
  };
}

function addFramework(master: Master, framework: FrameworkRecord, suppressedRoles: readonly string[]): void {
  master.frameworks.set(framework.id, framework);
  master.allocator.addFramework(framework.id, master.allocatorOptions(framework.info, suppressedRoles));
  subscribed(master, framework);
  master.allocateSoon();
}

/** Applies a new FrameworkInfo and suppressed roles; offers for roles it no longer has are rescinded. */
export function applyFrameworkUpdate(
  master: Master,
  framework: FrameworkRecord,
  info: FrameworkInfo,
  suppressedRoles: readonly string[],
): void {
  master.allocator.updateFramework(framework.id, master.allocatorOptions(info, suppressedRoles));
  const roles = rolesOf(info);
  for (const offerId of [...framework.offers]) {
    const offer = master.offers.get(offerId)!;
    if (!roles.includes(offer.role)) master.rescindOffer(offer);
  }
  framework.info = { ...info, id: { value: framework.id } };
}

/** Handles SUBSCRIBE on a fresh stream: SUBSCRIBED and heartbeats, or ERROR and the stream closed. */
export function subscribe(master: Master, connection: FrameworkConnection, call: Subscribe): void {
  let info = call.framework_info;
  const error = refusal(master, info) ?? optionsError(info, call.suppressed_roles ?? [], call.offer_constraints);
  if (error !== undefined) return refuse(connection, error);

  const suppressed = call.suppressed_roles ?? [];
  const id = info.id?.value ?? '';
  if (id === '') return addFramework(master, newRecord(master, master.ids.framework(), info, connection), suppressed);

  const framework = master.framework(id);
  if (framework === undefined) {
    // A framework id this master never gave out (or lost): Mesos takes
    // the scheduler at its word and recovers the framework under that id.
    return addFramework(master, newRecord(master, id, info, connection), suppressed);
  }

  // The user and checkpointing can't change; a resubscription keeps the old ones.
  info = { ...info, user: framework.info.user, checkpoint: framework.info.checkpoint };
  const update = frameworkUpdateError(framework.info, info);
  if (update !== undefined) return refuse(connection, update);

  applyFrameworkUpdate(master, framework, info, suppressed);
  framework.reregisteredTime = master.nowSeconds();
  failover(master, framework, connection);
}

/** The framework moves to a new stream: the old one gets ERROR "Framework failed over" and is closed. */
function failover(master: Master, framework: FrameworkRecord, connection: FrameworkConnection): void {
  if (framework.connection !== undefined) {
    master.send(framework, { type: 'ERROR', error: { message: 'Framework failed over' } });
    master.closeConnection(framework);
  }
  framework.failoverTimer?.cancel();
  framework.failoverTimer = undefined;
  framework.connection = connection;
  for (const offerId of [...framework.offers]) master.discardOffer(master.offers.get(offerId)!);
  if (!framework.active) {
    framework.active = true;
    master.allocator.setActive(framework.id, true);
  }
  subscribed(master, framework);
  master.allocateSoon();
}

/**
 * A stream closed on the framework's side. If it is the framework's
 * current stream, the framework is disconnected: its offers are taken
 * back, and unless it subscribes again within its failover timeout it is
 * removed.
 */
export function connectionClosed(master: Master, connection: FrameworkConnection): void {
  const framework = [...master.frameworks.values()].find((f) => f.connection === connection);
  if (framework === undefined) return;
  if (framework.active) master.deactivate(framework, true);
  master.closeConnection(framework);
  const since = framework.reregisteredTime;
  const timeoutMs = Math.max(0, (framework.info.failover_timeout ?? 0) * 1000);
  framework.failoverTimer = master.clock.after(timeoutMs, () => {
    framework.failoverTimer = undefined;
    if (master.framework(framework.id) === framework && framework.connection === undefined && framework.reregisteredTime === since) {
      master.removeFramework(framework);
    }
  });
}

export function teardown(master: Master, framework: FrameworkRecord): void {
  master.removeFramework(framework);
}
