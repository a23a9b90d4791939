// Probe paths and captured packets → moves along the canvas's cables (lib/packet-route.ts), on lab 3
// drawn over its sandbox, with paths the real probe returned (test/fixtures/probe/paths/).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canvasMap, packetMove, probeMoves } from '../../lib/packet-route.ts';
import { viewOf } from '../../lib/view.ts';
import { loadLab, loadProfile } from '../../server/labs/catalog.ts';
import type { ProbeResult } from '../../server/probe/types.ts';
import { loadTopology } from '../../server/topology/load.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const fixture = (f: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/probe/paths', f), 'utf8')) as ProbeResult;

function lab3View() {
  const t = loadTopology(fs.readFileSync(path.join(ROOT, 'labs/03-bridge/final.yaml'), 'utf8'));
  if (!t.ok) throw new Error('lab 3');
  return viewOf(loadProfile(loadLab('03-bridge').sandbox), t.value).doc;
}
const doc = lab3View();
const map = canvasMap(doc);
const linkIndex = (a: string, b: string) => doc.links.findIndex((l) => (l.a.node === a && l.b.node === b) || (l.a.node === b && l.b.node === a));

describe('probeMoves', () => {
  it('rides netns1 → br0 → host uplink → internet and back along the drawn cables', () => {
    const moves = probeMoves(map, fixture('lab3-netns1-internet.json').path);
    const wires = moves.filter((m) => m.kind === 'wire').map((m) => m.kind === 'wire' && `${m.leg}:${m.cable}:${m.from}`);
    const veth1 = linkIndex('br0', 'netns1');
    const uplink = linkIndex('host', 'internet');
    expect(veth1).toBeGreaterThanOrEqual(0);
    expect(uplink).toBeGreaterThanOrEqual(0);
    const endAt = (link: number, node: string) => (doc.links[link].a.node === node ? 'a' : 'b');
    expect(wires).toEqual([
      `request:link-${veth1}:${endAt(veth1, 'netns1')}`,
      `request:link-${uplink}:${endAt(uplink, 'host')}`,
      `reply:link-${uplink}:${endAt(uplink, 'internet')}`,
      `reply:link-${veth1}:${endAt(veth1, 'br0')}`,
    ]);
    // Across the bridge and the host between the cables: jumps, and every move lands on a later hop.
    expect(moves.some((m) => m.kind === 'jump' && 'end' in m.from && 'node' in m.to && m.to.node === 'br0')).toBe(true);
    expect(moves.map((m) => m.hop)).toEqual([...moves.map((m) => m.hop)].sort((x, y) => x - y));
  });

  it('stops where a FORWARD rule dropped the request: on the bridge', () => {
    const r = fixture('lab3-forward-drop.json');
    const moves = probeMoves(map, r.path);
    expect(moves.at(-1)).toMatchObject({ kind: 'jump', to: { node: 'br0' } });
    expect(r.hop).toEqual({ node: 'host', interface: 'br0' });
  });

  it('ignores hops it cannot place (a namespace made by hand is not on the canvas)', () => {
    expect(probeMoves(map, [
      { node: 'ghost1', interface: 'v0', dir: 'out', leg: 'request' },
      { node: 'ghost2', interface: 'v1', dir: 'in', leg: 'request' },
    ])).toEqual([]);
  });
});

describe('cables the kernel grew by hand (a lab typed in a terminal)', () => {
  // Lab 3 run step by step: netns1 and br0 are observed, not drawn; the cable between them too.
  const bare = viewOf(loadProfile(loadLab('03-bridge').sandbox), { version: 1, nodes: [], links: [] }).doc;
  const ns = (name: string, links: { ifname: string; addresses: string[] }[]) => ({ name, ns: { links } } as never);
  const handMade = canvasMap(bare, {
    ghosts: [ns('netns1', [{ ifname: 'veth1', addresses: ['10.0.0.101/24'] }]), ns('netns2', [{ ifname: 'veth3', addresses: ['10.0.0.102/24'] }]),
      { ...(ns('br0', []) as object), bridge: { in: 'host', link: {}, ports: ['veth0', 'veth2'] } } as never],
    ghostLinks: [{ a: 'netns1', b: 'br0', aIf: 'veth1', bIf: 'veth0', up: true }, { a: 'netns2', b: 'br0', aIf: 'veth3', bIf: 'veth2', up: true }],
  });
  it('the final ping of lab 3 rides the observed cables', () => {
    const wires = probeMoves(handMade, fixture('lab3-netns1-internet.json').path).filter((m) => m.kind === 'wire').map((m) => m.kind === 'wire' && `${m.cable}:${m.from}`);
    expect(wires[0]).toBe('ghost-netns1-veth1-br0:a');
    expect(wires.at(-1)).toBe('ghost-netns1-veth1-br0:b');
    expect(wires).toHaveLength(4);
  });
  it('a packet captured on the bridge port in the host flies along the observed cable', () => {
    expect(packetMove(handMade, 'host', { iface: 'veth0', src: '10.0.0.101', dst: '10.0.0.102' })).toEqual({ cable: 'ghost-netns1-veth1-br0', from: 'a' });
  });
});

describe('packetMove', () => {
  const i = linkIndex('br0', 'netns1');
  const veth1 = `link-${i}`;
  const netns1End = doc.links[i].a.node === 'netns1' ? 'a' : 'b';
  const brEnd = netns1End === 'a' ? 'b' : 'a';
  it('an echo request captured on netns1:veth1 leaves netns1; the reply arrives', () => {
    expect(packetMove(map, 'netns1', { iface: 'veth1', src: '10.0.0.101', dst: '10.0.0.102' })).toEqual({ cable: veth1, from: netns1End });
    expect(packetMove(map, 'netns1', { iface: 'veth1', src: '10.0.0.102', dst: '10.0.0.101' })).toEqual({ cable: veth1, from: brEnd });
    expect(packetMove(map, 'netns1', { iface: 'veth1', src: '10.0.0.101:40000', dst: '1.1.1.1:80' })).toEqual({ cable: veth1, from: netns1End });
  });
  it('a bridge port captured in the host maps to the cable on the bridge node; tcpdump direction wins', () => {
    expect(packetMove(map, 'host', { iface: 'veth0', src: '10.0.0.101', dst: '1.1.1.1', dir: 'Out' })).toEqual({ cable: veth1, from: brEnd });
    expect(packetMove(map, 'host', { iface: 'veth0', src: '10.0.0.101', dst: '1.1.1.1', dir: 'In' })).toEqual({ cable: veth1, from: netns1End });
  });
  it('an interface without a cable has no move', () => {
    expect(packetMove(map, 'host', { iface: 'lo', src: '127.0.0.1', dst: '127.0.0.1' })).toBeUndefined();
  });
});
