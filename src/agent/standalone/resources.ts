// The text form of Mesos resources ("cpus:1;mem:128"), reduced to what one
// machine can give a task: cpus, mem (MB) and disk (MB) as scalars.

export interface TaskResources {
  /** CPU shares; enforced through the cpu controller when the machine has it. */
  cpus?: number;
  /** Memory in MB; enforced through the memory controller when the machine has it. */
  mem?: number;
  /** Disk in MB: accepted, never enforced. */
  disk?: number;
}

export class ResourcesError extends Error {}

const SCALARS = ['cpus', 'mem', 'disk'] as const;
type ScalarName = (typeof SCALARS)[number];

/**
 * Parses `name:value;name(role):value...`. Values of the same name add up,
 * as in Mesos. Throws ResourcesError with the reason only; the caller names
 * the whole text.
 */
export function parseResources(text: string): TaskResources {
  const result: TaskResources = {};
  for (const raw of text.split(';')) {
    const token = raw.trim();
    if (token === '') continue;
    const colon = token.indexOf(':');
    if (colon === -1) throw new ResourcesError(`Resource '${token}' has no value (expected name:value)`);
    const match = /^([^()\s]+)\s*(?:\(([^()]*)\))?$/.exec(token.slice(0, colon).trim());
    if (match === null) throw new ResourcesError(`Invalid resource name in '${token}'`);
    const [, name, role] = match as unknown as [string, string, string | undefined];
    if (role !== undefined && role !== '*') {
      throw new ResourcesError(`Resource '${token}' is reserved for role '${role}': the local agent only offers role '*'`);
    }
    const valueText = token.slice(colon + 1).trim();
    if (!(SCALARS as readonly string[]).includes(name)) {
      const kind = valueText.startsWith('[') ? 'ranges' : valueText.startsWith('{') ? 'set' : 'scalar';
      throw new ResourcesError(`The local agent offers no ${kind} resource '${name}' (only cpus, mem and disk)`);
    }
    const value = /^[+]?(\d+\.?\d*|\.\d+)$/.test(valueText) ? Number(valueText) : Number.NaN;
    if (!Number.isFinite(value)) throw new ResourcesError(`Invalid scalar value '${valueText}' for resource '${name}'`);
    const scalar = name as ScalarName;
    result[scalar] = (result[scalar] ?? 0) + value;
  }
  return result;
}

/** The text form back, for messages: "cpus:1;mem:128". */
export function formatResources(resources: TaskResources): string {
  return SCALARS.filter((name) => resources[name] !== undefined)
    .map((name) => `${name}:${resources[name]}`)
    .join(';');
}
