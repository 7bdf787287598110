// Turning an allocation cycle into offers (master/master.cpp offer()): each
// allocation becomes an Offer with a new id, the agent's hostname, url and
// attributes; each framework gets one OFFERS event, with resources in the
// form its capabilities ask for.
import type { Master } from './master';
import type { FrameworkRecord, OfferRecord } from './records';
import { downgrade } from './resources';
import type { Offer, Resource } from './types';
import { hasCapability } from './validation/framework';

/**
 * An offer as the framework sees it: allocation roles only for MULTI_ROLE
 * frameworks, `role: "*"` on unreserved resources for those without
 * RESERVATION_REFINEMENT.
 */
export function offerFor(framework: FrameworkRecord, offer: Offer): Offer {
  const multiRole = hasCapability(framework.info, 'MULTI_ROLE');
  const refinement = hasCapability(framework.info, 'RESERVATION_REFINEMENT');
  const resources = (offer.resources ?? []).map((resource) => {
    let out: Resource = { ...resource };
    if (!multiRole) delete out.allocation_info;
    if (!refinement) out = downgrade(out);
    return out;
  });
  const out: Offer = { ...offer, resources };
  if (!multiRole) delete out.allocation_info;
  return out;
}

/** One allocation cycle; resources for a framework that can't take offers go straight back. */
export function makeOffers(master: Master): void {
  const now = master.clock.now();
  const batches = new Map<string, Offer[]>();
  for (const allocation of master.allocator.allocate(now)) {
    const framework = master.frameworks.get(allocation.frameworkId);
    const agent = master.agents.get(allocation.agentId);
    if (framework === undefined || framework.connection === undefined || !framework.active || agent === undefined) {
      master.allocator.recover(allocation.frameworkId, allocation.agentId, allocation.resources, now);
      continue;
    }
    const offer: Offer = {
      id: { value: master.ids.offer() },
      framework_id: { value: framework.id },
      agent_id: { value: agent.id },
      hostname: agent.hostname,
      url: { scheme: 'http', address: { hostname: agent.hostname, ip: agent.ip, port: agent.port }, path: `/${agent.processId}` },
      resources: allocation.resources,
      attributes: agent.attributes,
      executor_ids: [...(framework.executors.get(agent.id) ?? [])].map((value) => ({ value })),
      allocation_info: { role: allocation.role },
    };
    const record: OfferRecord = {
      offer,
      frameworkId: framework.id,
      agentId: agent.id,
      role: allocation.role,
      resources: allocation.resources,
    };
    master.offers.set(offer.id.value, record);
    framework.offers.add(offer.id.value);
    agent.offers.add(offer.id.value);
    batches.set(framework.id, [...(batches.get(framework.id) ?? []), offerFor(framework, offer)]);
  }
  for (const [frameworkId, offers] of batches) {
    master.send(master.frameworks.get(frameworkId)!, { type: 'OFFERS', offers: { offers } });
  }
}
