// Ids as Mesos checks them (common/validation.cpp validateID).

const NAME_MAX = 255;

export function idError(id: string): string | undefined {
  if (id === '') return 'ID must not be empty';
  if (Buffer.byteLength(id, 'utf8') > NAME_MAX) return `ID must not be greater than ${NAME_MAX} characters`;
  if (id === '.' || id === '..') return `'${id}' is disallowed`;
  if (/[\u0000-\u001f\u007f/\\]/.test(id)) return `'${id}' contains invalid characters`;
  return undefined;
}
