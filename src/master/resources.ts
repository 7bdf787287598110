// Resources as Mesos adds, subtracts and compares them (common/resources.cpp):
// a list in which resources of the same name, type and metadata
// (allocation role, reservations, disk, revocable, shared, provider) are
// merged into one; scalars in fixed point with three decimals; ranges
// coalesced; empty resources dropped. Lists hold Resources in the
// "post-reservation-refinement" form: `role` is never set, reservations are
// in `reservations`.
import type { Range, Resource } from './types';

export type Resources = readonly Resource[];

/** Scalars are compared and summed at a thousandth, as Mesos does. */
export function toFixed(value: number): number {
  return Math.round(value * 1000);
}

export function fromFixed(fixed: number): number {
  return fixed / 1000;
}

/** What makes two resources the same kind, so that their values add. */
function identity(resource: Resource): string {
  return JSON.stringify([
    resource.name,
    resource.type,
    resource.allocation_info?.role ?? null,
    resource.reservations ?? [],
    resource.disk ?? null,
    resource.revocable !== undefined,
    resource.shared !== undefined,
    resource.provider_id?.value ?? null,
  ]);
}

export function coalesce(ranges: readonly Range[]): Range[] {
  const sorted = ranges.map((r) => ({ begin: r.begin, end: r.end })).sort((a, b) => a.begin - b.begin);
  const out: Range[] = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && range.begin <= last.end + 1) last.end = Math.max(last.end, range.end);
    else out.push(range);
  }
  return out;
}

function subtractRanges(from: readonly Range[], taken: readonly Range[]): Range[] {
  let out = coalesce(from);
  for (const cut of taken) {
    out = out.flatMap((range) => {
      if (cut.end < range.begin || cut.begin > range.end) return [range];
      const pieces: Range[] = [];
      if (cut.begin > range.begin) pieces.push({ begin: range.begin, end: cut.begin - 1 });
      if (cut.end < range.end) pieces.push({ begin: cut.end + 1, end: range.end });
      return pieces;
    });
  }
  return out;
}

function rangesContain(outer: readonly Range[], inner: readonly Range[]): boolean {
  const coalesced = coalesce(outer);
  return inner.every((r) => coalesced.some((o) => o.begin <= r.begin && r.end <= o.end));
}

function withValue(resource: Resource, like: Resource): Resource {
  const out: Resource = { ...like };
  delete out.scalar;
  delete out.ranges;
  delete out.set;
  if (resource.scalar !== undefined) out.scalar = resource.scalar;
  if (resource.ranges !== undefined) out.ranges = resource.ranges;
  if (resource.set !== undefined) out.set = resource.set;
  return out;
}

export function isEmpty(resource: Resource): boolean {
  switch (resource.type) {
    case 'SCALAR':
      return toFixed(resource.scalar?.value ?? 0) === 0;
    case 'RANGES':
      return (resource.ranges?.range ?? []).length === 0;
    case 'SET':
      return (resource.set?.item ?? []).length === 0;
    default:
      return false;
  }
}

function sum(a: Resource, b: Resource): Resource {
  switch (a.type) {
    case 'SCALAR':
      return withValue({ ...a, scalar: { value: fromFixed(toFixed(a.scalar?.value ?? 0) + toFixed(b.scalar?.value ?? 0)) } }, a);
    case 'RANGES':
      return withValue({ ...a, ranges: { range: coalesce([...(a.ranges?.range ?? []), ...(b.ranges?.range ?? [])]) } }, a);
    case 'SET': {
      const items = [...(a.set?.item ?? [])];
      for (const item of b.set?.item ?? []) if (!items.includes(item)) items.push(item);
      return withValue({ ...a, set: { item: items } }, a);
    }
    default:
      return a;
  }
}

function difference(a: Resource, b: Resource): Resource {
  switch (a.type) {
    case 'SCALAR':
      return withValue({ ...a, scalar: { value: fromFixed(toFixed(a.scalar?.value ?? 0) - toFixed(b.scalar?.value ?? 0)) } }, a);
    case 'RANGES':
      return withValue({ ...a, ranges: { range: subtractRanges(a.ranges?.range ?? [], b.ranges?.range ?? []) } }, a);
    case 'SET':
      return withValue({ ...a, set: { item: (a.set?.item ?? []).filter((i) => !(b.set?.item ?? []).includes(i)) } }, a);
    default:
      return a;
  }
}

function containsOne(a: Resource, b: Resource): boolean {
  if (identity(a) !== identity(b)) return false;
  switch (a.type) {
    case 'SCALAR':
      return toFixed(b.scalar?.value ?? 0) <= toFixed(a.scalar?.value ?? 0);
    case 'RANGES':
      return rangesContain(a.ranges?.range ?? [], b.ranges?.range ?? []);
    case 'SET':
      return (b.set?.item ?? []).every((i) => (a.set?.item ?? []).includes(i));
    default:
      return false;
  }
}

/** `list` plus `more`, merged; empty resources are dropped. */
export function add(list: Resources, more: Resources): Resource[] {
  const out = [...list];
  for (const resource of more) {
    if (isEmpty(resource)) continue;
    const key = identity(resource);
    const index = out.findIndex((r) => identity(r) === key);
    if (index === -1) out.push(sum(withValue(emptyLike(resource), resource), resource));
    else out[index] = sum(out[index]!, resource);
  }
  return out;
}

function emptyLike(resource: Resource): Resource {
  switch (resource.type) {
    case 'SCALAR':
      return { ...resource, scalar: { value: 0 } };
    case 'RANGES':
      return { ...resource, ranges: { range: [] } };
    case 'SET':
      return { ...resource, set: { item: [] } };
    default:
      return { ...resource };
  }
}

/** `list` minus `taken`, where it can be taken; what becomes empty goes. */
export function subtract(list: Resources, taken: Resources): Resource[] {
  let out = [...list];
  for (const resource of taken) {
    const key = identity(resource);
    out = out
      .map((r) => (identity(r) === key ? difference(r, resource) : r))
      .filter((r) => !isEmpty(r) && !(r.type === 'SCALAR' && toFixed(r.scalar?.value ?? 0) < 0));
  }
  return out;
}

/** Whether `list` holds all of `wanted`. */
export function contains(list: Resources, wanted: Resources): boolean {
  let remaining: Resource[] = add([], list);
  for (const resource of add([], wanted)) {
    if (!remaining.some((r) => containsOne(r, resource))) return false;
    remaining = subtract(remaining, [resource]);
  }
  return true;
}

/** The total of the scalar named `name` (cpus, mem, ...), or undefined when there is none. */
export function scalarTotal(list: Resources, name: string): number | undefined {
  const matching = list.filter((r) => r.name === name && r.type === 'SCALAR');
  if (matching.length === 0) return undefined;
  return fromFixed(matching.reduce((total, r) => total + toFixed(r.scalar?.value ?? 0), 0));
}

/** Resources with their allocation to a role set (Mesos's Resources::allocate). */
export function allocate(list: Resources, role: string): Resource[] {
  return list.map((r) => ({ ...r, allocation_info: { role } }));
}

/** Resources with no allocation (Mesos's Resources::unallocate). */
export function unallocate(list: Resources): Resource[] {
  return add(
    [],
    list.map((r) => {
      const out = { ...r };
      delete out.allocation_info;
      return out;
    }),
  );
}

export function isUnreserved(resource: Resource): boolean {
  return (resource.reservations ?? []).length === 0;
}

/**
 * A resource in the "post-reservation-refinement" form Mesos works in: a
 * `role` other than "*" becomes a static reservation (or, with
 * `reservation`, a dynamic one); "*" is unreserved.
 */
export function upgrade(resource: Resource): Resource {
  const out: Resource = { ...resource };
  const role = out.role;
  delete out.role;
  if ((out.reservations ?? []).length === 0 && role !== undefined && role !== '*') {
    const reservation = out.reservation ?? {};
    out.reservations = [{ type: out.reservation !== undefined ? 'DYNAMIC' : 'STATIC', role, ...reservation }];
  }
  delete out.reservation;
  if (out.reservations !== undefined && out.reservations.length === 0) delete out.reservations;
  return out;
}

/**
 * A resource in the "pre-reservation-refinement" form, for frameworks
 * without RESERVATION_REFINEMENT: unreserved resources say `role: "*"`.
 */
export function downgrade(resource: Resource): Resource {
  const out: Resource = { ...resource };
  const reservations = out.reservations ?? [];
  delete out.reservations;
  if (reservations.length === 0) {
    out.role = '*';
  } else {
    const last = reservations[reservations.length - 1]!;
    out.role = String(last.role ?? '*');
    if (last.type === 'DYNAMIC') {
      const { type: _type, role: _role, ...rest } = last;
      out.reservation = rest;
    }
  }
  return out;
}
