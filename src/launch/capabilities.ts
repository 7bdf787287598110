// The capability sets a task ends up with, computed the way Mesos does:
// an effective set lands in all five sets, a bounding set replaces the
// bounding set, and the inheritable set always follows the bounding set so
// that file capabilities can't grant anything outside it.

export interface ProcessCapabilities {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  bounding: bigint;
  ambient: bigint;
}

export const CAP_SETPCAP = 8;

export function maskOf(capabilities: readonly number[]): bigint {
  return capabilities.reduce((mask, capability) => mask | (1n << BigInt(capability)), 0n);
}

export function capabilitiesOf(mask: bigint): number[] {
  const capabilities: number[] = [];
  for (let capability = 0; mask >> BigInt(capability) !== 0n; capability++) {
    if (((mask >> BigInt(capability)) & 1n) === 1n) capabilities.push(capability);
  }
  return capabilities;
}

export function targetCapabilities(
  current: ProcessCapabilities,
  effective: readonly number[] | undefined,
  bounding: readonly number[] | undefined,
): ProcessCapabilities {
  const target = { ...current };
  if (effective !== undefined) {
    const mask = maskOf(effective);
    target.effective = target.permitted = target.inheritable = target.bounding = target.ambient = mask;
  }
  if (bounding !== undefined) target.bounding = maskOf(bounding);
  target.inheritable = target.bounding;
  return target;
}

/**
 * The sets a task ends up with, as Mesos's launcher works them out once it
 * has changed the uid (with the capabilities kept across it): a uid change
 * clears the effective and ambient sets, SETPCAP is put back into the
 * effective set, then the sets asked for apply (targetCapabilities).
 */
export function taskCapabilities(
  current: ProcessCapabilities,
  changesUser: boolean,
  effective: readonly number[] | undefined,
  bounding: readonly number[] | undefined,
): ProcessCapabilities {
  const afterSetuid = changesUser ? { ...current, effective: 0n, ambient: 0n } : current;
  const withSetpcap = { ...afterSetuid, effective: afterSetuid.effective | (1n << BigInt(CAP_SETPCAP)) };
  return targetCapabilities(withSetpcap, effective, bounding);
}
