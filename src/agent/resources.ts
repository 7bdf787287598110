// Mesos resources in their text form ("cpus:2;mem:1024;ports:[31000-32000]",
// optionally "name(role):value") or as a JSON array, turned into the v1 API's
// Resource objects the way Mesos's Resources::parse does: values of one name
// and role add up (scalars), merge (ranges) or unite (sets); a role other than
// '*' is a static reservation. Pure.
import type { Range, Resource } from '../master/types';

export class ResourceTextError extends Error {}

type Value = Pick<Resource, 'type' | 'scalar' | 'ranges' | 'set'>;

/** Mesos's values::parse: "[1-2,5-9]" ranges, "{a,b}" a set, a number a scalar. */
function parseValue(name: string, text: string): Value {
  const fail = (why: string): never => {
    throw new ResourceTextError(`Failed to parse resource ${name} value ${text} error ${why}`);
  };
  const value = text.replace(/ /g, '');
  if (value === '') fail('Expecting non-empty string');
  const balanced = (open: string, close: string) => {
    let depth = 0;
    for (const char of value) {
      if (char === open) depth++;
      if (char === close && --depth < 0) return false;
    }
    return depth === 0;
  };
  if (!balanced('{', '}') || !balanced('[', ']') || !balanced('(', ')')) fail('Mismatched brackets');
  if (value.startsWith('[')) {
    const tokens = value.split(/[[\]\-,\n]/).filter((token) => token !== '');
    if (tokens.length % 2 !== 0) fail('Expecting one or more "ranges"');
    const range: Range[] = [];
    for (let i = 0; i < tokens.length; i += 2) {
      const [begin, end] = [tokens[i]!, tokens[i + 1]!];
      if (!/^\d+$/.test(begin) || !/^\d+$/.test(end)) fail(`Expecting non-negative integers in '${begin}'`);
      range.push({ begin: Number(begin), end: Number(end) });
    }
    return { type: 'RANGES', ranges: { range: coalesce(range) } };
  }
  if (!value.includes('[') && value.startsWith('{')) {
    return { type: 'SET', set: { item: value.split(/[{},\n]/).filter((item) => item !== '') } };
  }
  if (!value.includes('[') && !value.includes('{')) {
    const number = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isFinite(number)) {
      if (number < 0) fail('Negative values not supported');
      return { type: 'SCALAR', scalar: { value: number } };
    }
  }
  return fail(`Bad type for resource ${name} value ${text} type TEXT`);
}

/** Ranges sorted and merged where they touch or overlap. */
function coalesce(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].filter((range) => range.begin <= range.end).sort((a, b) => a.begin - b.begin);
  const merged: Range[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.begin <= last.end + 1) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/** The role a resource is reserved for (its last reservation's), or '*'. */
function roleOf(resource: Resource): string {
  const reserved = resource.reservations?.[resource.reservations.length - 1]?.['role'];
  return (typeof reserved === 'string' ? reserved : undefined) ?? resource.role ?? '*';
}

function withRole(resource: Resource, role: string): Resource {
  return role === '*' ? resource : { ...resource, reservations: [{ type: 'STATIC', role }] };
}

/** Adds `resource` to `into`, merging it with one of the same name, type and role. */
function add(into: Resource[], resource: Resource): void {
  const same = into.find((other) => other.name === resource.name && other.type === resource.type && roleOf(other) === roleOf(resource));
  if (same === undefined) {
    into.push(resource);
    return;
  }
  if (same.type === 'SCALAR') same.scalar = { value: roundScalar((same.scalar?.value ?? 0) + (resource.scalar?.value ?? 0)) };
  if (same.type === 'RANGES') same.ranges = { range: coalesce([...(same.ranges?.range ?? []), ...(resource.ranges?.range ?? [])]) };
  if (same.type === 'SET') same.set = { item: [...new Set([...(same.set?.item ?? []), ...(resource.set?.item ?? [])])] };
}

/** Mesos keeps scalars to three decimal places. */
export function roundScalar(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function fromJson(list: unknown[], defaultRole: string): Resource[] {
  const result: Resource[] = [];
  for (const [index, entry] of list.entries()) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new ResourceTextError(`Some JSON resources were not formatted properly: resource ${index} is not an object`);
    }
    const resource = { ...(entry as Resource) };
    if (typeof resource.name !== 'string' || resource.name === '') throw new ResourceTextError('Empty resource name');
    if (!['SCALAR', 'RANGES', 'SET', 'TEXT'].includes(resource.type)) throw new ResourceTextError('Invalid resource type');
    const role = resource.role ?? (resource.reservations === undefined ? defaultRole : undefined);
    delete resource.role;
    add(result, role === undefined ? resource : withRole(resource, role));
  }
  return result;
}

/**
 * Parses resources as Mesos's agent reads its `--resources` (and
 * MESOS_RESOURCES): a JSON array of Resource objects, or the text form.
 * Throws ResourceTextError in Mesos's words.
 */
export function parseResourceText(text: string, defaultRole = '*'): Resource[] {
  if (text.trim().startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (Array.isArray(json)) return fromJson(json, defaultRole);
  }
  const result: Resource[] = [];
  for (const token of text.split(';').filter((part) => part !== '')) {
    const pair = token.split(':').filter((part) => part !== '');
    if (pair.length !== 2) throw new ResourceTextError(`Bad value for resources, missing or extra ':' in ${token}`);
    const [key, value] = pair as [string, string];
    let name = key.trim();
    let role = defaultRole;
    const open = key.indexOf('(');
    if (open !== -1) {
      const close = key.indexOf(')');
      if (close === -1 || close < open) throw new ResourceTextError(`Bad value for resources, mismatched parentheses in ${token}`);
      name = key.slice(0, open).trim();
      role = key.slice(open + 1, close).trim();
    }
    if (name === '') throw new ResourceTextError('Empty resource name');
    add(result, withRole({ name, ...parseValue(name, value) }, role));
  }
  return result;
}

/** The text form back: "cpus:2;mem:1024;ports:[31000-32000]", "cpus(web):1". */
export function formatResourceText(resources: readonly Resource[]): string {
  return resources
    .map((resource) => {
      const role = roleOf(resource);
      const name = role === '*' ? resource.name : `${resource.name}(${role})`;
      if (resource.type === 'RANGES') {
        return `${name}:[${(resource.ranges?.range ?? []).map((range) => `${range.begin}-${range.end}`).join(', ')}]`;
      }
      if (resource.type === 'SET') return `${name}:{${(resource.set?.item ?? []).join(', ')}}`;
      return `${name}:${resource.scalar?.value ?? 0}`;
    })
    .join(';');
}

/** The sum of the scalar resources named `name`, whatever their role; undefined when there are none. */
export function scalarOf(resources: readonly Resource[] | undefined, name: string): number | undefined {
  const scalars = (resources ?? []).filter((resource) => resource.name === name && resource.type === 'SCALAR');
  if (scalars.length === 0) return undefined;
  return roundScalar(scalars.reduce((sum, resource) => sum + (resource.scalar?.value ?? 0), 0));
}
