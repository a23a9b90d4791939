// Saved topologies the page may open by URL (`/?file=labs/03-bridge/final.yaml`): only files under
// <root>/labs, after resolving `..` and symlinks, YAML or JSON, and only what validates.
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { describeErrors, loadTopology } from '../topology/load.ts';
import type { Topology } from '../topology/schema.ts';

const MAX_BYTES = 1024 * 1024;

export async function loadLabFile(root: string, relPath: string): Promise<Topology> {
  if (isAbsolute(relPath) || relPath.includes('\0')) throw new Error(`'${relPath}' must be a path relative to the project, under labs/`);
  if (!/\.(ya?ml|json)$/.test(relPath)) throw new Error(`'${relPath}' is not a .yaml, .yml or .json file`);
  const labs = await realpath(join(root, 'labs')).catch(() => resolve(root, 'labs'));
  const wanted = resolve(root, relPath);
  if (!wanted.startsWith(labs + sep)) throw new Error(`'${relPath}' is outside labs/`);
  let real: string;
  try { real = await realpath(wanted); } catch { throw new Error(`no file '${relPath}'`); }
  if (!real.startsWith(labs + sep)) throw new Error(`'${relPath}' leads outside labs/`);
  const st = await stat(real);
  if (!st.isFile()) throw new Error(`'${relPath}' is not a file`);
  if (st.size > MAX_BYTES) throw new Error(`'${relPath}' is ${st.size} bytes; at most ${MAX_BYTES}`);
  const loaded = loadTopology(await readFile(real, 'utf8'));
  if (!loaded.ok) {
    const e = new Error(`'${relPath}' is not a valid topology:\n${describeErrors(loaded.errors)}`) as Error & { fields: unknown };
    e.fields = loaded.errors;
    throw e;
  }
  return loaded.value;
}
