// Resources from Mesos's text form, "cpus:4;mem:1024;ports:[31000-32000]",
// as an agent's --resources flag gives them: scalars, ranges in brackets,
// sets in braces, an optional "(role)" after the name.
import type { Resource } from './types';

export class ResourceTextError extends Error {}

export function parseResourceText(text: string): Resource[] {
  const out: Resource[] = [];
  for (const token of text.split(';').map((t) => t.trim())) {
    if (token === '') continue;
    const colon = token.indexOf(':');
    if (colon === -1) throw new ResourceTextError(`Bad value for resources, missing ':' within ${token}`);
    const match = /^([^()]+)(?:\(([^()]*)\))?$/.exec(token.slice(0, colon).trim());
    if (match === null) throw new ResourceTextError(`Bad resource name in ${token}`);
    const name = match[1]!.trim();
    const role = match[2];
    const value = token.slice(colon + 1).trim();
    const resource = parseValue(name, value, token);
    if (role !== undefined && role !== '*') resource.reservations = [{ type: 'STATIC', role }];
    out.push(resource);
  }
  return out;
}

function parseValue(name: string, value: string, token: string): Resource {
  if (value.startsWith('[')) {
    if (!value.endsWith(']')) throw new ResourceTextError(`Bad ranges in ${token}`);
    const range = value
      .slice(1, -1)
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '')
      .map((r) => {
        const m = /^(\d+)\s*-\s*(\d+)$/.exec(r);
        if (m === null) throw new ResourceTextError(`Bad range '${r}' in ${token}`);
        return { begin: Number(m[1]), end: Number(m[2]) };
      });
    return { name, type: 'RANGES', ranges: { range } };
  }
  if (value.startsWith('{')) {
    if (!value.endsWith('}')) throw new ResourceTextError(`Bad set in ${token}`);
    const item = value
      .slice(1, -1)
      .split(',')
      .map((i) => i.trim())
      .filter((i) => i !== '');
    return { name, type: 'SET', set: { item } };
  }
  if (!/^[+]?(\d+\.?\d*|\.\d+)$/.test(value)) throw new ResourceTextError(`Bad scalar value '${value}' in ${token}`);
  return { name, type: 'SCALAR', scalar: { value: Number(value) } };
}
