// DECLINE, REVIVE, SUPPRESS and the inverse offer calls (master/master.cpp
// decline, revive, suppress, acceptInverseOffers, declineInverseOffers).
import type { Master } from '../master';
import type { FrameworkRecord } from '../records';
import { roleError } from '../roles';
import type { Decline } from '../types';
import { rolesOf } from '../validation/framework';

/**
 * Offers go back with the call's filters (refuse_seconds, 5 s by default);
 * ids no longer valid are ignored, and so are other frameworks' offers
 * (which Mesos would take back from their owner).
 */
export function decline(master: Master, framework: FrameworkRecord, call: Decline): void {
  for (const { value } of call.offer_ids ?? []) {
    const offer = master.offers.get(value);
    if (offer !== undefined && offer.frameworkId === framework.id) master.discardOffer(offer, call.filters?.refuse_seconds ?? 5);
  }
}

/**
 * The roles of a REVIVE or SUPPRESS, if all are valid roles of the
 * framework; one that isn't drops the whole call (Mesos logs why).
 */
function rolesFor(framework: FrameworkRecord, roles: readonly string[]): string[] | undefined {
  const own = rolesOf(framework.info);
  for (const role of roles) {
    if (roleError(role) !== undefined || !own.includes(role)) return undefined;
  }
  return [...roles];
}

export function revive(master: Master, framework: FrameworkRecord, roles: readonly string[]): void {
  const valid = rolesFor(framework, roles);
  if (valid === undefined) return;
  master.allocator.revive(framework.id, valid);
  master.allocateSoon();
}

export function suppress(master: Master, framework: FrameworkRecord, roles: readonly string[]): void {
  const valid = rolesFor(framework, roles);
  if (valid === undefined) return;
  master.allocator.suppress(framework.id, valid);
}

/**
 * This master never sends inverse offers (it has no maintenance
 * schedules), so every inverse offer id is unknown: Mesos drops such a
 * call ("Inverse offer ... is no longer valid") after answering 202.
 */
export function inverseOffers(_master: Master, _framework: FrameworkRecord): void {}
