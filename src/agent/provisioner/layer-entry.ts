// What a layer's tar entry asks for, decided from its name alone: an entry
// to make at a normalized path, a Docker whiteout (`.wh.NAME`: NAME deleted
// from the layers below), or an opaque directory (`.wh..wh..opq`: nothing
// below shows through). Names are normalized as Docker does (leading '/'
// and '.' dropped, '..' stopping at the root); this is not what keeps an
// entry inside the layer, the kernel is (see extract.ts). Pure.

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** aufs's own metadata, `.wh..wh.plnk` and friends: not part of the image. */
const AUFS_META_PREFIX = '.wh..wh.';

/** The path's components, '.' and empty ones dropped, '..' stopping at the root. */
export function normalizePath(name: string): string[] {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts;
}

export type LayerAction =
  /** The layer's root directory itself (`./`). */
  | { kind: 'root' }
  /** An entry `name` in the directory `parent` (components, maybe none). */
  | { kind: 'entry'; parent: string[]; name: string }
  /** A whiteout of `name` in `parent`. */
  | { kind: 'whiteout'; parent: string[]; name: string }
  /** `parent` is opaque. */
  | { kind: 'opaque'; parent: string[] }
  | { kind: 'skip'; reason: string };

export function actionOf(entryName: string): LayerAction {
  const parts = normalizePath(entryName);
  if (parts.length === 0) return { kind: 'root' };
  const name = parts[parts.length - 1];
  const parent = parts.slice(0, -1);
  if (name === OPAQUE_MARKER) return { kind: 'opaque', parent };
  // aufs's directories at the root (`.wh..wh.plnk/...`), and anything in them.
  if (name.startsWith(AUFS_META_PREFIX) || parts[0].startsWith(AUFS_META_PREFIX)) return { kind: 'skip', reason: `aufs metadata '${entryName}'` };
  if (name.startsWith(WHITEOUT_PREFIX)) {
    const hidden = name.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..') return { kind: 'skip', reason: `a whiteout of nothing '${entryName}'` };
    return { kind: 'whiteout', parent, name: hidden };
  }
  return { kind: 'entry', parent, name };
}

/** Extended attributes a layer may set: user ones, and file capabilities. Never trusted.* (overlayfs's own). */
export function xattrAllowed(name: string): boolean {
  return name.startsWith('user.') || name === 'security.capability';
}
