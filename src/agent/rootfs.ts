// A root filesystem directory as the helper will take it: its real path
// (the helper resolves nothing itself), a directory, and not the host's
// own root.
import { realpathSync, statSync } from 'node:fs';

export type RootfsCheck = { readonly path: string; readonly problem?: undefined } | { readonly path?: undefined; readonly problem: string };

export function checkRootfs(path: string): RootfsCheck {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return { problem: `Root filesystem '${path}' does not exist` };
  }
  if (!statSync(real).isDirectory()) return { problem: `Root filesystem '${path}' is not a directory` };
  if (real === '/') return { problem: `Root filesystem '${path}' is the host's own root` };
  return { path: real };
}
