// JSON text for the read-only endpoints, as stout's jsonify writes it:
// doubles always with a fraction ("cpus":8.0), integers without.
import { formatDouble } from '../codec/json-text';

export class Double {
  constructor(readonly value: number) {}
}

export const double = (value: number): Double => new Double(value);

export type JsonOut = null | boolean | number | string | Double | JsonOut[] | { [key: string]: JsonOut | undefined };

export function writeJson(value: JsonOut): string {
  if (value === null) return 'null';
  if (value instanceof Double) return formatDouble(value.value);
  if (Array.isArray(value)) return `[${value.map(writeJson).join(',')}]`;
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isInteger(value) ? String(value) : formatDouble(value);
    case 'string':
      return JSON.stringify(value);
    default: {
      const fields = Object.entries(value).filter(([, v]) => v !== undefined) as Array<[string, JsonOut]>;
      return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${writeJson(v)}`).join(',')}}`;
    }
  }
}
