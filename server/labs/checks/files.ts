// Checks on files a step writes (the CNI plugin's result, host-local's leases).
import type { CheckContext } from './context.ts';
import { queryJson } from './json-query.ts';
import { fail, pass, presence, type CheckOutcome } from './result.ts';
import type { FileSpec, JsonSpec } from './schema.ts';

export async function checkFile(c: CheckContext, s: FileSpec): Promise<CheckOutcome> {
  const text = await c.readFile(s.path);
  if (s.expect === 'absent') return presence('absent', text !== null, s.path);
  if (text === null) return fail(`${s.path} does not exist`);
  if (s.contains !== undefined && !text.includes(s.contains)) return fail(`${s.path} does not contain "${s.contains}"`);
  return pass();
}

export async function checkJson(c: CheckContext, s: JsonSpec): Promise<CheckOutcome> {
  const text = await c.readFile(s.path);
  if (text === null) return fail(`${s.path} does not exist`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`${s.path} is not JSON: ${(e as Error).message}`);
  }
  const value = queryJson(doc, s.query);
  if (value === undefined) return fail(`${s.path} has no ${s.query}`);
  if (s.equals !== undefined && value !== s.equals) return fail(`${s.query} is ${JSON.stringify(value)}, not ${JSON.stringify(s.equals)}`);
  if (s.matches !== undefined && !(typeof value === 'string' && new RegExp(s.matches, 'u').test(value))) {
    return fail(`${s.query} is ${JSON.stringify(value)}, which does not match /${s.matches}/`);
  }
  return pass(`${s.query} = ${JSON.stringify(value)}`);
}
