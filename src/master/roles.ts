// Role names as Mesos checks them (common/roles.cpp).

const INVALID_CHARACTERS = /[\x08\x0b\f\n\r\t ]/;

/** Why `role` is not a valid role name, or undefined when it is one. */
export function roleError(role: string): string | undefined {
  if (role === '*') return undefined;
  if (role.startsWith('/')) return `Role '${role}' cannot start with a slash`;
  if (role.endsWith('/')) return `Role '${role}' cannot end with a slash`;
  if (role.includes('//')) return `Role '${role}' cannot contain two adjacent slashes`;
  const components = role.split('/').filter((c) => c !== '');
  if (components.length === 0) return 'Role names cannot be the empty string';
  for (const component of components) {
    if (component === '.') return `Role '${role}' cannot include '.' as a component`;
    if (component === '..') return `Role '${role}' cannot include '..' as a component`;
    if (component === '*') return `Role '${role}' cannot include '*' as a component`;
    if (component.startsWith('-')) return `Role component '${component}' is invalid because it starts with a dash`;
    if (INVALID_CHARACTERS.test(component)) {
      return `Role component '${component}' is invalid because it contains backspace or whitespace`;
    }
  }
  return undefined;
}
