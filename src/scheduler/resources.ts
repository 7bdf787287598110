// Resource arithmetic for fitting a task into an offer, as mesos-execute
// does it with Mesos's Resources: strip the allocation, ask whether the
// offer's resources, reservations aside, contain the task's, then find
// the offer's own resources that make up the task's (those reserved for
// the framework's role first, then unreserved ones, then any).
//
// Resources are alike when their name, type, disk, revocability, sharing
// and provider agree; a reservation is part of what a resource is only
// where it is compared (contains). Scalars compare in thousandths, as
// Mesos's fixed-point values do; ranges and sets by their members.
import type { Resource } from './types';

type Span = readonly [bigint, bigint];

function jsonOf(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v));
}

/** What a resource is, reservations and allocation aside. */
function shape(resource: Resource): string {
  return jsonOf([
    resource.name,
    resource.type,
    resource.revocable !== undefined,
    resource.shared !== undefined,
    resource.disk ?? null,
    resource.provider_id?.value ?? null,
  ]);
}

/** The role a resource is reserved for; '' when it is not reserved. */
export function reservationRole(resource: Resource): string {
  const stack = resource.reservations;
  if (stack !== undefined && stack.length > 0) return stack[stack.length - 1]!.role ?? '';
  return resource.role !== undefined && resource.role !== '*' ? resource.role : '';
}

function milli(value: number | undefined): number {
  return Math.round((value ?? 0) * 1000);
}

/** The resources without their allocation to a role (Resources::unallocate). */
export function unallocate(resources: readonly Resource[]): Resource[] {
  return resources.map(({ allocation_info: _allocation, ...rest }) => rest);
}

/** The resources as if none were reserved (Resources::toUnreserved). */
export function toUnreserved(resources: readonly Resource[]): Resource[] {
  return resources.map(({ role: _role, reservation: _reservation, reservations: _reservations, ...rest }) => rest);
}

// ---------------------------------------------------------------------------
// Ranges as sorted, disjoint, non-adjacent spans.

function spansOf(resource: Resource): Span[] {
  return normalize((resource.ranges?.range ?? []).map((r) => [BigInt(r.begin), BigInt(r.end)] as const));
}

function normalize(spans: readonly Span[]): Span[] {
  const sorted = spans.filter(([b, e]) => b <= e).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const [b, e] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && b <= last[1] + 1n) {
      if (e > last[1]) last[1] = e;
    } else {
      out.push([b, e]);
    }
  }
  return out;
}

function intersect(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const [ab, ae] of a) {
    for (const [bb, be] of b) {
      const begin = ab > bb ? ab : bb;
      const end = ae < be ? ae : be;
      if (begin <= end) out.push([begin, end]);
    }
  }
  return normalize(out);
}

function subtract(a: readonly Span[], b: readonly Span[]): Span[] {
  let left: Span[] = [...a];
  for (const [bb, be] of b) {
    const next: Span[] = [];
    for (const [ab, ae] of left) {
      if (be < ab || bb > ae) {
        next.push([ab, ae]);
        continue;
      }
      if (ab < bb) next.push([ab, bb - 1n]);
      if (be < ae) next.push([be + 1n, ae]);
    }
    left = next;
  }
  return normalize(left);
}

function covers(have: readonly Span[], want: readonly Span[]): boolean {
  return subtract(want, have).length === 0;
}

function withSpans(resource: Resource, spans: readonly Span[]): Resource {
  return { ...resource, ranges: { range: spans.map(([begin, end]) => ({ begin, end })) } };
}

// ---------------------------------------------------------------------------

interface Amount {
  scalar: number;
  spans: Span[];
  items: Set<string>;
}

function totals(resources: readonly Resource[]): Map<string, Amount> {
  const byKind = new Map<string, Amount>();
  for (const resource of resources) {
    const key = `${shape(resource)}|${reservationRole(resource)}`;
    let amount = byKind.get(key);
    if (amount === undefined) {
      amount = { scalar: 0, spans: [], items: new Set() };
      byKind.set(key, amount);
    }
    if (resource.type === 'SCALAR') amount.scalar += milli(resource.scalar?.value);
    if (resource.type === 'RANGES') amount.spans = normalize([...amount.spans, ...spansOf(resource)]);
    if (resource.type === 'SET') for (const item of resource.set?.item ?? []) amount.items.add(item);
  }
  return byKind;
}

/** Whether `have` holds at least `want`, kind by kind (Resources::contains). */
export function contains(have: readonly Resource[], want: readonly Resource[]): boolean {
  const held = totals(have);
  for (const [key, wanted] of totals(want)) {
    const amount = held.get(key);
    if (amount === undefined) {
      if (wanted.scalar > 0 || wanted.spans.length > 0 || wanted.items.size > 0) return false;
      continue;
    }
    if (amount.scalar < wanted.scalar) return false;
    if (!covers(amount.spans, wanted.spans)) return false;
    for (const item of wanted.items) if (!amount.items.has(item)) return false;
  }
  return true;
}

/**
 * The part of `offered` that makes up `wanted`, taken first from resources
 * reserved for `role`, then from unreserved ones, then from any other
 * (Resources::find); undefined when `offered` falls short. A wanted
 * resource that is itself reserved is taken from that reservation only.
 */
export function find(offered: readonly Resource[], wanted: readonly Resource[], role = '*'): Resource[] | undefined {
  const left = offered.map((resource) => structuredClone(resource));
  const preference = (resource: Resource): number => {
    const reserved = reservationRole(resource);
    if (role !== '*' && reserved === role) return 0;
    return reserved === '' ? 1 : 2;
  };
  const found: Resource[] = [];
  for (const target of wanted) {
    const targetRole = reservationRole(target);
    const candidates = left
      .filter((c) => shape(c) === shape(target) && (targetRole === '' || reservationRole(c) === targetRole))
      .sort((a, b) => preference(a) - preference(b));
    if (target.type === 'SCALAR') {
      let need = milli(target.scalar?.value);
      for (const candidate of candidates) {
        if (need <= 0) break;
        const take = Math.min(need, milli(candidate.scalar?.value));
        if (take <= 0) continue;
        found.push({ ...candidate, scalar: { value: take / 1000 } });
        candidate.scalar = { value: (milli(candidate.scalar?.value) - take) / 1000 };
        need -= take;
      }
      if (need > 0) return undefined;
    } else if (target.type === 'RANGES') {
      let need = spansOf(target);
      for (const candidate of candidates) {
        if (need.length === 0) break;
        const have = spansOf(candidate);
        const taken = intersect(need, have);
        if (taken.length === 0) continue;
        found.push(withSpans(candidate, taken));
        Object.assign(candidate, withSpans(candidate, subtract(have, taken)));
        need = subtract(need, taken);
      }
      if (need.length > 0) return undefined;
    } else if (target.type === 'SET') {
      const need = new Set(target.set?.item ?? []);
      for (const candidate of candidates) {
        if (need.size === 0) break;
        const items = candidate.set?.item ?? [];
        const taken = items.filter((item) => need.has(item));
        if (taken.length === 0) continue;
        found.push({ ...candidate, set: { item: taken } });
        candidate.set = { item: items.filter((item) => !need.has(item)) };
        for (const item of taken) need.delete(item);
      }
      if (need.size > 0) return undefined;
    } else {
      return undefined;
    }
  }
  return found;
}
