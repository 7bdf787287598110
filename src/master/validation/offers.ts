// The offers of an ACCEPT as Mesos checks them, in its order and words
// (master/validation.cpp offer::validate).
import type { OfferRecord } from '../records';
import type { Id } from '../types';

export function offersError(
  offerIds: readonly Id[],
  lookup: (id: string) => OfferRecord | undefined,
  frameworkId: string,
): string | undefined {
  const seen = new Set<string>();
  for (const { value } of offerIds) {
    if (seen.has(value)) return `Duplicate offer ${value} in offer list`;
    seen.add(value);
  }
  for (const { value } of offerIds) {
    if (lookup(value) === undefined) return `Offer ${value} is no longer valid`;
  }
  for (const { value } of offerIds) {
    const offer = lookup(value)!;
    if (offer.frameworkId !== frameworkId) {
      return `Offer ${value} has invalid framework ${offer.frameworkId} while framework ${frameworkId} is expected`;
    }
  }
  let role: string | undefined;
  for (const { value } of offerIds) {
    const offer = lookup(value)!;
    if (role === undefined) role = offer.role;
    else if (offer.role !== role) {
      return `Aggregated offers must be allocated to the same role. Offer ${value} uses role '${offer.role} but another is using role '${role}`;
    }
  }
  let agentId: string | undefined;
  for (const { value } of offerIds) {
    const offer = lookup(value)!;
    if (agentId === undefined) agentId = offer.agentId;
    else if (offer.agentId !== agentId) {
      return `Aggregated offers must belong to one single agent. Offer ${value} uses agent ${offer.agentId} and agent ${agentId}`;
    }
  }
  return undefined;
}
