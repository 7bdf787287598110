// FrameworkInfo as Mesos checks it on SUBSCRIBE and UPDATE_FRAMEWORK
// (master/validation.cpp, framework::validate and validateUpdate), and the
// roles a framework holds.
import { formatG } from '../format';
import { roleError } from '../roles';
import type { FrameworkCapability, FrameworkInfo } from '../types';
import { idError } from './ids';

export function hasCapability(info: FrameworkInfo, capability: FrameworkCapability): boolean {
  return (info.capabilities ?? []).some((c) => c.type === capability);
}

/** The framework's roles: `roles` for MULTI_ROLE frameworks, else `role` ("*" by default). */
export function rolesOf(info: FrameworkInfo): string[] {
  return hasCapability(info, 'MULTI_ROLE') ? [...new Set(info.roles ?? [])] : [info.role ?? '*'];
}

/** stout's rendering of a set of strings: "{ a, b }". */
export function formatSet(items: Iterable<string>): string {
  const sorted = [...new Set(items)].sort();
  return sorted.length === 0 ? '{  }' : `{ ${sorted.join(', ')} }`;
}

function rolesError(info: FrameworkInfo): string | undefined {
  const multiRole = hasCapability(info, 'MULTI_ROLE');
  if (multiRole && info.role !== undefined) {
    return "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable";
  }
  if (!multiRole && (info.roles ?? []).length > 0) {
    return "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable";
  }
  if (multiRole) {
    const roles = info.roles ?? [];
    const duplicates = roles.filter((role, index) => roles.indexOf(role) !== index);
    if (duplicates.length > 0) return `'FrameworkInfo.roles' contains duplicate items: ${formatSet(duplicates)}`;
    for (const role of roles) {
      const error = roleError(role);
      if (error !== undefined) return `'FrameworkInfo.roles' contains invalid role: ${error}`;
    }
    return undefined;
  }
  const error = roleError(info.role ?? '*');
  return error === undefined ? undefined : `'FrameworkInfo.role' is not a valid role: ${error}`;
}

/** Whether a failover timeout in seconds is a Duration stout can hold (int64 nanoseconds). */
function durationFits(seconds: number): boolean {
  return Number.isFinite(seconds) && Math.abs(seconds * 1e9) < 9.223372036854775807e18;
}

export function frameworkInfoError(info: FrameworkInfo): string | undefined {
  const roles = rolesError(info);
  if (roles !== undefined) return roles;
  if (info.id !== undefined && info.id.value !== '') {
    const id = idError(info.id.value);
    if (id !== undefined) return id;
  }
  const timeout = info.failover_timeout ?? 0;
  if (!durationFits(timeout)) return `The framework failover_timeout (${formatG(timeout)}) is invalid`;
  return undefined;
}

/** Why `next` can't replace `current` (principal, user and checkpoint are fixed), or undefined. */
export function frameworkUpdateError(current: FrameworkInfo, next: FrameworkInfo): string | undefined {
  if (current.principal !== next.principal) return "Changing framework's principal is not allowed.";
  if (current.user !== next.user) {
    return `Updating 'FrameworkInfo.user' is unsupported; attempted to update from '${current.user}' to '${next.user}'`;
  }
  const was = current.checkpoint ?? false;
  const now = next.checkpoint ?? false;
  if (was !== now) {
    return `Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '${was}' to '${now}'`;
  }
  return undefined;
}

export function suppressedRolesError(roles: readonly string[], suppressed: readonly string[]): string | undefined {
  const outside = suppressed.filter((role) => !roles.includes(role));
  return outside.length === 0 ? undefined : `Suppressed roles ${formatSet(outside)} are not contained in the set of roles`;
}
