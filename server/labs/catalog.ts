// Labs and sandbox profiles on disk: labs/<id>/lab.yaml and labs/profiles/<name>.yaml.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeErrors, loadTopology, parseDocument, zodErrors } from '../topology/load.ts';
import type { Topology } from '../topology/schema.ts';
import { LAB_ID, LabSchema, PROFILE_NAME, type Lab } from './schema.ts';

export function labsDir(): string {
  return process.env.NSPLAY_LABS_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../labs');
}

export function listLabIds(root = labsDir()): string[] {
  try {
    return fs.readdirSync(root).filter((d) => LAB_ID.test(d) && fs.existsSync(path.join(root, d, 'lab.yaml'))).sort();
  } catch {
    return [];
  }
}

export function loadLab(id: string, root = labsDir()): Lab {
  if (!LAB_ID.test(id)) throw new Error(`'${id}' is not a lab id (like 03-bridge)`);
  const file = path.join(root, id, 'lab.yaml');
  if (!fs.existsSync(file)) throw new Error(`no lab '${id}'; known labs: ${listLabIds(root).join(', ')}`);
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  if (!doc.ok) throw new Error(`${file}: ${describeErrors(doc.errors)}`);
  const r = LabSchema.safeParse(doc.value);
  if (!r.success) throw new Error(`${file}:\n${describeErrors(zodErrors(r.error))}`);
  if (r.data.id !== id) throw new Error(`${file}: id '${r.data.id}' does not match its folder '${id}'`);
  return r.data;
}

export function loadProfile(name: string, root = labsDir()): Topology {
  if (!PROFILE_NAME.test(name)) throw new Error(`'${name}' is not a sandbox profile name`);
  const file = path.join(root, 'profiles', `${name}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`no sandbox profile '${name}' (${file})`);
  const r = loadTopology(fs.readFileSync(file, 'utf8'));
  if (!r.ok) throw new Error(`${file}:\n${describeErrors(r.errors)}`);
  return r.value;
}

export const DEFAULT_PROFILE = 'vbox';
