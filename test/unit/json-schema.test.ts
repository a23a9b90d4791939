// docs/topology.schema.json is generated from the zod schema (npm run schema) and checked in so editors
// can use it. It must match a fresh generation, and accept the documents nsplay accepts.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH, topologyJsonSchemaText } from '../../scripts/gen-schema.ts';
import { validateTopology } from '../../server/topology/load.ts';
import { NODE_KINDS } from '../../server/topology/schema.ts';

type Schema = Record<string, any>;

// A small validator for the keywords z.toJSONSchema emits; enough to check the labs structurally
// without another dependency. A test below fails if the schema starts using a keyword it does not know.
const KNOWN = new Set([
  '$schema', 'title', 'description', 'default', 'type', 'properties', 'required', 'additionalProperties',
  'propertyNames', 'items', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'pattern', 'minLength', 'maxLength',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function validate(schema: Schema, v: unknown, at = '$'): string[] {
  const bad: string[] = [];
  const t = typeOf(v);
  if (schema.type) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${at}: ${t}, expected ${types.join('|')}`];
  }
  if ('const' in schema && v !== schema.const) bad.push(`${at}: not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(v)) bad.push(`${at}: ${JSON.stringify(v)} not in enum`);
  if (schema.anyOf && !schema.anyOf.some((s: Schema) => validate(s, v, at).length === 0)) bad.push(`${at}: matches no anyOf branch`);
  if (schema.oneOf && schema.oneOf.filter((s: Schema) => validate(s, v, at).length === 0).length !== 1) bad.push(`${at}: not exactly one oneOf branch`);
  for (const s of schema.allOf ?? []) bad.push(...validate(s, v, at));
  if (typeof v === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(v)) bad.push(`${at}: '${v}' does not match ${schema.pattern}`);
    if (schema.maxLength !== undefined && [...v].length > schema.maxLength) bad.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.minLength !== undefined && [...v].length < schema.minLength) bad.push(`${at}: shorter than ${schema.minLength}`);
  }
  if (typeof v === 'number') {
    if (schema.minimum !== undefined && v < schema.minimum) bad.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && v > schema.maximum) bad.push(`${at}: above ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && v <= schema.exclusiveMinimum) bad.push(`${at}: not above ${schema.exclusiveMinimum}`);
    if (schema.exclusiveMaximum !== undefined && v >= schema.exclusiveMaximum) bad.push(`${at}: not below ${schema.exclusiveMaximum}`);
  }
  if (Array.isArray(v)) {
    if (schema.maxItems !== undefined && v.length > schema.maxItems) bad.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.minItems !== undefined && v.length < schema.minItems) bad.push(`${at}: fewer than ${schema.minItems} items`);
    if (schema.items) v.forEach((item, i) => bad.push(...validate(schema.items, item, `${at}[${i}]`)));
  }
  if (t === 'object') {
    const obj = v as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in obj)) bad.push(`${at}: missing ${k}`);
    for (const [k, value] of Object.entries(obj)) {
      if (schema.propertyNames) bad.push(...validate(schema.propertyNames, k, `${at}[key ${k}]`));
      if (schema.properties?.[k]) bad.push(...validate(schema.properties[k], value, `${at}.${k}`));
      else if (schema.additionalProperties === false) bad.push(`${at}: unknown property ${k}`);
      else if (typeof schema.additionalProperties === 'object') bad.push(...validate(schema.additionalProperties, value, `${at}.${k}`));
    }
  }
  return bad;
}

function keywords(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => keywords(s, out));
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      out.add(k);
      if (k === 'properties' || k === '$defs') Object.values(v as object).forEach((s) => keywords(s, out));
      else if (k !== 'enum' && k !== 'const' && k !== 'default' && k !== 'required') keywords(v, out);
    }
  }
  return out;
}

const LABS = ['01-rootns-netns', '02-rootns-netns-netns', '03-bridge', '04-expose-service'];
const labDoc = (lab: string) => parseYaml(readFileSync(new URL(`../../labs/${lab}/final.yaml`, import.meta.url), 'utf8'));
const checkedIn = () => readFileSync(SCHEMA_PATH, 'utf8');
const schema = (): Schema => JSON.parse(checkedIn());

describe('docs/topology.schema.json', () => {
  it('is exactly what scripts/gen-schema.ts generates now (run `npm run schema` after changing the zod schema)', () => {
    expect(checkedIn()).toBe(topologyJsonSchemaText());
  });

  it('is a draft 2020-12 JSON Schema for a Topology object with nodes, links and layout', () => {
    const s = schema();
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.type).toBe('object');
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.nodes.type).toBe('array');
    expect(s.properties.nodes.items.properties.kind.enum).toEqual([...NODE_KINDS]);
    expect(s.properties.nodes.items.required).toEqual(['name', 'kind']);
    expect(s.properties.links.items.properties.a.properties.ifname.pattern).toBeTruthy();
    expect(s.properties.layout.type).toBe('object');
    expect(s.required ?? []).toEqual([]);
  });

  it('uses only keywords the structural validator here understands', () => {
    const unknown = [...keywords(schema())].filter((k) => !KNOWN.has(k));
    expect(unknown).toEqual([]);
  });

  it.each(LABS)('accepts labs/%s/final.yaml', (lab) => {
    const doc = labDoc(lab);
    expect(validateTopology(doc).ok).toBe(true);
    expect(validate(schema(), doc)).toEqual([]);
  });

  it('accepts what nsplay accepts at the edges of its name and address rules', () => {
    const doc = {
      nodes: [
        { name: '_x.y-1', kind: 'netns', sysctls: { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_forward': 1 } },
        { name: 'br1', kind: 'bridge', addresses: ['0.0.0.0/0'] },
        { name: 'host', kind: 'host', iptables: { rules: [{ chain: 'INPUT', source: '! 10.0.0.0/8', jump: 'DROP' }, { table: 'nat', chain: 'PREROUTING', protocol: 'udp', jump: 'DNAT', toDestination: '255.255.255.255:65535' }] } },
      ],
      links: [{ a: { node: 'br1', ifname: '.abcdefghijklmn' }, b: { node: '_x.y-1', ifname: 'e', addresses: ['10.0.0.1/32'] } }],
    };
    expect(validateTopology(doc).ok).toBe(true);
    expect(validate(schema(), doc)).toEqual([]);
  });

  it('rejects, structurally, what is plainly wrong', () => {
    const s = schema();
    const lab1 = labDoc('01-rootns-netns');
    expect(validate(s, { ...lab1, network: {} })).not.toEqual([]);
    expect(validate(s, { nodes: [{ name: 'a', kind: 'vm' }] })).not.toEqual([]);
    expect(validate(s, { nodes: [{ name: 'a/b', kind: 'netns' }] })).not.toEqual([]);
    expect(validate(s, { links: [{ a: { node: 'host', ifname: 'veth-to-the-bridge0' }, b: { node: 'a', ifname: 'x' } }] })).not.toEqual([]);
    expect(validate(s, { links: [{ a: { node: 'host', ifname: 'v0', addresses: ['10.0.0.1/33'] }, b: { node: 'a', ifname: 'x' } }] })).not.toEqual([]);
    expect(validate(s, { nodes: [{ name: 'a', kind: 'netns', services: [{ port: 65536 }] }] })).not.toEqual([]);
    expect(validate(s, { nodes: [{ name: 'a', kind: 'netns', sysctls: { 'kernel.panic': 1 } }] })).not.toEqual([]);
    expect(validate(s, { version: 2 })).not.toEqual([]);
  });
});
