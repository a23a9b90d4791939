// Loading a Topology from YAML or JSON text, returning every problem with its field path.
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { TopologySchema, type Topology } from './schema.ts';

export interface FieldError { path: string; message: string }
export type Loaded<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/** `nodes[2].name` style paths, readable in a message and stable for tests. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const raw of path) {
    const p = typeof raw === 'string' && raw.length > 64 ? `${raw.slice(0, 64)}…` : raw; // a hostile key can be megabytes long
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(p)) out += `[${JSON.stringify(p)}]`; // a record key like "net.ipv4.ip_forward"
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(document)' : out;
}

export function zodErrors(error: z.ZodError): FieldError[] {
  // A bad record key (a sysctl name) carries the key schema's own sentence one level down.
  return error.issues.map((i) => ({
    path: formatPath(i.path),
    message: clipWords(i.code === 'invalid_key' && i.issues.length > 0 ? i.issues.map((k) => k.message).join('; ') : i.message),
  }));
}

/** Messages quote what the user wrote; a 2 MB name is quoted by its first 60 characters. */
function clipWords(message: string): string {
  return message.replace(/[^\s'"]{61,}/g, (w) => `${w.slice(0, 60)}…`);
}

/** Parse YAML or JSON (JSON is YAML) into plain data; never throws, never logs (a user's odd tag is no server warning). */
export function parseDocument(text: string): Loaded<unknown> {
  if (text.length > MAX_DOCUMENT_BYTES) {
    return { ok: false, errors: [{ path: '(document)', message: `the document is ${text.length} bytes; at most ${MAX_DOCUMENT_BYTES}` }] };
  }
  try {
    const trimmed = text.trimStart();
    const data = trimmed.startsWith('{') || trimmed.startsWith('[') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100, logLevel: 'error' });
    return { ok: true, value: data ?? {} };
  } catch (e) {
    return { ok: false, errors: [{ path: '(document)', message: `not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}` }] };
  }
}

export function validateTopology(data: unknown): Loaded<Topology> {
  const r = TopologySchema.safeParse(data);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: zodErrors(r.error) };
}

export function loadTopology(text: string): Loaded<Topology> {
  const doc = parseDocument(text);
  return doc.ok ? validateTopology(doc.value) : doc;
}

export function describeErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}
