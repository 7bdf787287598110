// Descriptors of protobuf messages, as much as the JSON codec needs: each
// field's name, number, kind and label, enum value names, explicit defaults
// and deprecation. Fields are listed in declaration order, which is the
// order stout writes them in; numbers give the order protobuf checks
// sub-messages for missing required fields in.

export type ScalarKind =
  | 'string'
  | 'bytes'
  | 'bool'
  | 'double'
  | 'float'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'uint64';

export interface EnumSpec {
  readonly name: string;
  /** Value names; the first is the value an unset field reads as. */
  readonly values: readonly string[];
}

export interface MessageSpec {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

/**
 * `opaque`: a message the master never looks into. It must be a JSON
 * object, and is kept (and written back) as it came.
 */
export type FieldKind = ScalarKind | 'opaque' | { readonly enum: EnumSpec } | { readonly message: () => MessageSpec };

export type Label = 'optional' | 'required' | 'repeated' | 'map';

export interface FieldSpec {
  readonly name: string;
  readonly number: number;
  readonly kind: FieldKind;
  readonly label: Label;
  /** An explicit default: stout writes the field even when it is unset (unless deprecated). */
  readonly default?: string | number | boolean;
  readonly deprecated?: boolean;
}

export function message(name: string, fields: readonly FieldSpec[]): MessageSpec {
  return { name, fields };
}

export function enumeration(name: string, values: readonly string[]): { readonly enum: EnumSpec } {
  return { enum: { name, values } };
}

export function ref(spec: () => MessageSpec): { readonly message: () => MessageSpec } {
  return { message: spec };
}

interface Extra {
  readonly default?: string | number | boolean;
  readonly deprecated?: boolean;
}

function make(label: Label) {
  return (number: number, name: string, kind: FieldKind, extra: Extra = {}): FieldSpec => ({
    name,
    number,
    kind,
    label,
    ...extra,
  });
}

export const optional = make('optional');
export const required = make('required');
export const repeated = make('repeated');
/** A `map<string, V>`: a JSON object whose values are of `kind`. */
export const map = make('map');

export function isEnum(kind: FieldKind): kind is { readonly enum: EnumSpec } {
  return typeof kind === 'object' && 'enum' in kind;
}

export function isMessage(kind: FieldKind): kind is { readonly message: () => MessageSpec } {
  return typeof kind === 'object' && 'message' in kind;
}
