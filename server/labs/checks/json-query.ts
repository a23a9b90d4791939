// "ips[0].address" over parsed JSON. Pure; a missing step gives undefined, never a throw.

export function queryJson(value: unknown, query: string): unknown {
  let cur: unknown = value;
  for (const part of query.split('.')) {
    const m = /^([^[]+)((?:\[[0-9]+\])*)$/.exec(part);
    if (!m) return undefined;
    cur = isRecord(cur) ? cur[m[1]] : undefined;
    for (const idx of m[2].match(/[0-9]+/g) ?? []) cur = Array.isArray(cur) ? cur[Number(idx)] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
