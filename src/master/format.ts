// Numbers and resources as Mesos prints them in its messages.
import { coalesce, fromFixed, type Resources, toFixed } from './resources';
import type { Resource } from './types';

/**
 * A double as a C++ ostream prints it with `precision` significant digits
 * (printf's %g): "1", "0.5", "1e+21", "inf".
 */
export function formatG(value: number, precision = 6): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const exponent = Number(value.toExponential(precision - 1).split('e')[1]);
  if (exponent < -4 || exponent >= precision) {
    const [mantissa, power] = value.toExponential(precision - 1).split('e') as [string, string];
    const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const sign = power.startsWith('-') ? '-' : '+';
    const digits = power.replace(/^[+-]/, '').padStart(2, '0');
    return `${trimmed}e${sign}${digits}`;
  }
  const fixed = value.toFixed(Math.max(0, precision - 1 - exponent));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

function formatValue(resource: Resource): string {
  switch (resource.type) {
    case 'SCALAR':
      return formatG(fromFixed(toFixed(resource.scalar?.value ?? 0)), 15);
    case 'RANGES':
      return `[${(resource.ranges?.range ?? []).map((r) => `${r.begin}-${r.end}`).join(', ')}]`;
    case 'SET':
      return `{${(resource.set?.item ?? []).join(', ')}}`;
    default:
      return '';
  }
}

function formatReservation(reservation: Record<string, unknown>): string {
  const parts = [String(reservation.type ?? 'UNKNOWN'), String(reservation.role ?? '')];
  if (typeof reservation.principal === 'string') parts.push(reservation.principal);
  return `(${parts.join(',')})`;
}

/** One resource: "cpus(allocated: *):1", "ports(allocated: *):[31000-32000]". */
export function formatResource(resource: Resource): string {
  let text = resource.name;
  if (resource.allocation_info !== undefined) text += `(allocated: ${resource.allocation_info.role ?? ''})`;
  if ((resource.reservations ?? []).length > 0) {
    text += `(reservations: [${resource.reservations!.map(formatReservation).join(',')}])`;
  }
  if (resource.disk !== undefined) {
    const persistence = resource.disk.persistence as { id?: string } | undefined;
    text += `[${persistence?.id ?? ''}]`;
  }
  if (resource.revocable !== undefined) text += '{REV}';
  if (resource.shared !== undefined) text += '<SHARED>';
  return `${text}:${formatValue(resource)}`;
}

/** A list: "cpus(allocated: *):1; mem(allocated: *):128", or "{}" when empty. */
export function formatResources(list: Resources): string {
  if (list.length === 0) return '{}';
  return list
    .map((r) => (r.type === 'RANGES' ? { ...r, ranges: { range: coalesce(r.ranges?.range ?? []) } } : r))
    .map(formatResource)
    .join('; ');
}
