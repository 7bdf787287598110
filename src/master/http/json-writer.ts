// JSON text for the read-only endpoints, as stout's jsonify writes it:
// doubles always with a fraction ("cpus":8.0), integers without.
import { formatDouble } from '../../proto/json';

export class Double {
  constructor(readonly value: number) {}
}

export const double = (value: number): Double => new Double(value);

/** JSON text written already (a message, by the codec). */
export class Raw {
  constructor(readonly text: string) {}
}

export const raw = (text: string): Raw => new Raw(text);

export type JsonOut = null | boolean | number | string | Double | Raw | JsonOut[] | { [key: string]: JsonOut | undefined };

/** A double as stout writes one; the infinities as the strings its reader takes. */
function writeDouble(value: number): string {
  if (!Number.isFinite(value)) return JSON.stringify(Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity');
  return formatDouble(value);
}

export function writeJson(value: JsonOut): string {
  if (value === null) return 'null';
  if (value instanceof Double) return writeDouble(value.value);
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(writeJson).join(',')}]`;
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isInteger(value) ? String(value) : writeDouble(value);
    case 'string':
      return JSON.stringify(value);
    default: {
      const fields = Object.entries(value).filter(([, v]) => v !== undefined) as Array<[string, JsonOut]>;
      return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${writeJson(v)}`).join(',')}}`;
    }
  }
}
