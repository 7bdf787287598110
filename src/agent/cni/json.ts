// JSON values as the CNI code handles them: configurations, results and
// NetworkInfos are plain objects checked field by field.
export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
