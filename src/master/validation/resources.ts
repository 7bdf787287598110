// Resources as Mesos checks them before it does anything with them
// (common/resources.cpp Resources::validate, master/validation.cpp
// resource::validate).
import { formatResource } from '../format';
import { toFixed } from '../resources';
import { roleError } from '../roles';
import type { Resource } from '../types';

function oneError(resource: Resource): string | undefined {
  if (resource.name === '') return 'Empty resource name';
  const has = { scalar: resource.scalar !== undefined, ranges: resource.ranges !== undefined, set: resource.set !== undefined };
  switch (resource.type) {
    case 'SCALAR':
      if (!has.scalar || has.ranges || has.set) return 'Invalid scalar resource';
      if (resource.scalar!.value !== 0 && !(toFixed(resource.scalar!.value) > 0)) {
        return 'Invalid scalar resource: value <= 0';
      }
      break;
    case 'RANGES': {
      if (has.scalar || !has.ranges || has.set) return 'Invalid ranges resource';
      const ranges = resource.ranges!.range ?? [];
      for (let i = 0; i < ranges.length; i++) {
        if (ranges[i]!.begin > ranges[i]!.end) return 'Invalid ranges resource: begin > end';
        for (let j = i + 1; j < ranges.length; j++) {
          if (ranges[i]!.begin <= ranges[j]!.begin && ranges[j]!.begin <= ranges[i]!.end) {
            return 'Invalid ranges resource: overlapping ranges';
          }
        }
      }
      break;
    }
    case 'SET': {
      if (has.scalar || has.ranges || !has.set) return 'Invalid set resource';
      const items = resource.set!.item ?? [];
      if (items.some((item, index) => items.indexOf(item) !== index)) return 'Invalid set resource: duplicated elements';
      break;
    }
    default:
      return 'Unsupported resource type';
  }
  if (resource.disk !== undefined && resource.name !== 'disk') {
    return `DiskInfo should not be set for ${resource.name} resource`;
  }
  if ((resource.reservations ?? []).length === 0) {
    const role = roleError(resource.role ?? '*');
    if (role !== undefined) return role;
    if (resource.reservation !== undefined) {
      if (resource.reservation.type !== undefined) {
        return "'Resource.ReservationInfo.type' must not be set for the 'Resource.reservation' field";
      }
      if (resource.reservation.role !== undefined) {
        return "'Resource.ReservationInfo.role' must not be set for the 'Resource.reservation' field";
      }
      if ((resource.role ?? '*') === '*') return 'Invalid reservation: role "*" cannot be dynamically reserved';
    }
  } else {
    for (const reservation of resource.reservations!) {
      if (reservation.type === undefined) return "Invalid reservation: 'Resource.ReservationInfo.type' field must be set.";
      if (reservation.role === undefined) return "Invalid reservation: 'Resource.ReservationInfo.role' field must be set.";
      const role = roleError(String(reservation.role));
      if (role !== undefined) return `Invalid reservation: ${role}`;
    }
  }
  return undefined;
}

/** Resources::validate on a list: "Resource 'cpus:-1' is invalid: Invalid scalar resource: value <= 0". */
export function resourcesError(resources: readonly Resource[]): string | undefined {
  for (const resource of resources) {
    const error = oneError(resource);
    if (error !== undefined) return `Resource '${formatResource(resource)}' is invalid: ${error}`;
  }
  return undefined;
}

/** "Cannot use both revocable and non-revocable 'cpus' at the same time", or undefined. */
export function revocableMixError(resources: readonly Resource[]): string | undefined {
  for (const name of new Set(resources.map((r) => r.name))) {
    const named = resources.filter((r) => r.name === name);
    const revocable = named.filter((r) => r.revocable !== undefined);
    if (revocable.length > 0 && revocable.length !== named.length) {
      return `Cannot use both revocable and non-revocable '${name}' at the same time`;
    }
  }
  return undefined;
}

/** "The resources have multiple allocation roles ('a' and 'b') ...", or undefined. */
export function singleRoleError(resources: readonly Resource[]): string | undefined {
  let role: string | undefined;
  for (const resource of resources) {
    const own = resource.allocation_info?.role;
    if (own === undefined) return 'The resources are not allocated to a role';
    if (role === undefined) role = own;
    else if (own !== role) {
      return `The resources have multiple allocation roles ('${own}' and '${role}') but only one allocation role is allowed`;
    }
  }
  return undefined;
}
