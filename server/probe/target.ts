// FROM and TO of a probe as a user types them: a node name, an address, or ADDR:PORT / NODE:PORT.
// Pure: validates before anything runs, and says in one sentence what is wrong.
import { checkIpv4 } from '../topology/address.ts';
import { checkNodeName, printable } from '../topology/names.ts';

export type Endpoint =
  | { kind: 'node'; node: string; port?: number }
  | { kind: 'address'; address: string; port?: number };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_TEXT = 100;

function parsePort(text: string, whole: string): Parsed<number> {
  if (!/^[1-9][0-9]{0,4}$/.test(text) || Number(text) > 65535) {
    return { ok: false, error: `'${printable(whole)}' has port '${printable(text)}'; ports run from 1 to 65535` };
  }
  return { ok: true, value: Number(text) };
}

/** A name that looks like an address is an address (a node called "10.0.0.1" cannot be probed by name). */
function parseHost(text: string, whole: string): Parsed<Endpoint> {
  if (/^[0-9.]+$/.test(text)) {
    const bad = checkIpv4(text);
    return bad ? { ok: false, error: bad } : { ok: true, value: { kind: 'address', address: text } };
  }
  const bad = checkNodeName(text);
  if (bad) return { ok: false, error: `'${printable(whole)}' is neither an IPv4 address nor a node name: ${bad}` };
  return { ok: true, value: { kind: 'node', node: text } };
}

/** TO: NODE, ADDRESS, NODE:PORT or ADDRESS:PORT. */
export function parseTarget(text: string): Parsed<Endpoint> {
  if (typeof text !== 'string' || text.length === 0) return { ok: false, error: 'the probe target is empty' };
  if (text.length > MAX_TEXT) return { ok: false, error: `the probe target is longer than ${MAX_TEXT} characters` };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return parseHost(text, text);
  const port = parsePort(text.slice(colon + 1), text);
  if (!port.ok) return port;
  const host = parseHost(text.slice(0, colon), text);
  if (!host.ok) return host;
  return { ok: true, value: { ...host.value, port: port.value } };
}

/** FROM: a node name, or an address that one of the session's nodes owns (probing from that address). */
export function parseSource(text: string): Parsed<Endpoint> {
  if (typeof text !== 'string' || text.length === 0) return { ok: false, error: 'the probe source is empty' };
  if (text.length > MAX_TEXT) return { ok: false, error: `the probe source is longer than ${MAX_TEXT} characters` };
  if (text.includes(':')) return { ok: false, error: `'${printable(text)}': a probe starts at a node or an address, without a port` };
  return parseHost(text, text);
}

/** "10.0.0.1", "10.0.0.1:80", "netns2" — how an endpoint is written back. */
export function formatEndpoint(e: Endpoint): string {
  const host = e.kind === 'node' ? e.node : e.address;
  return e.port === undefined ? host : `${host}:${e.port}`;
}
