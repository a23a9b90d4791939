// The canvas's edit commands, undo stack and kernel overlay: pure functions on the Topology document.
import { describe, expect, it } from 'vitest';
import { addNode, addVeth, emptyTopology, proposeName, removeNode, renameNode, setEnd } from '../../lib/commands.ts';
import { record, redo, startHistory, undo } from '../../lib/history.ts';
import { deriveLive } from '../../lib/live.ts';
import { drawingLink, viewOf } from '../../lib/view.ts';
import { checkDocument } from '../../lib/errors.ts';
import { compilePlan } from '../../server/plan/compile.ts';
import type { SessionStatus } from '../../server/session/types.ts';
import type { Topology } from '../../server/topology/schema.ts';

const at = { x: 0, y: 0 };

function seedLab3(): Topology {
  let d = emptyTopology();
  d = addNode(d, 'bridge', at);
  d = addNode(d, 'netns', at);
  d = addNode(d, 'netns', at);
  d = addVeth(d, 'netns1', 'br0');
  d = addVeth(d, 'netns2', 'br0');
  return d;
}

describe('edit commands', () => {
  it('names nodes like the seed: netns1, netns2, br0', () => {
    const d = seedLab3();
    expect(d.nodes.map((n) => n.name)).toEqual(['br0', 'netns1', 'netns2']);
    expect(proposeName(d, 'host')).toBe('host');
    expect(proposeName(addNode(d, 'host', at), 'host')).toBeNull();
  });

  it('connecting proposes the seed\'s interface names and addresses', () => {
    const d = seedLab3();
    expect(d.links).toEqual([
      { a: { node: 'netns1', ifname: 'veth1', addresses: ['10.0.0.101/24'] }, b: { node: 'br0', ifname: 'veth0' } },
      { a: { node: 'netns2', ifname: 'veth3', addresses: ['10.0.0.102/24'] }, b: { node: 'br0', ifname: 'veth2' } },
    ]);
    expect(checkDocument(d).list).toEqual([]);
    expect(compilePlan(d).map((s) => s.argv.join(' '))).toContain('ip link add name veth0 type veth peer name veth1 netns netns1');
  });

  it('two namespaces cabled directly get a fresh /24, avoiding what the sandbox uses', () => {
    let d = emptyTopology();
    d = addNode(addNode(d, 'netns', at), 'netns', at);
    const ctx: Topology = { ...d, links: [{ a: { node: 'host', ifname: 'veth0', addresses: ['10.0.0.1/24'] }, b: { node: 'netns1', ifname: 'eth9' } }] };
    const out = addVeth(d, 'netns1', 'netns2', ctx);
    expect(out.links[0]).toEqual({ a: { node: 'netns1', ifname: 'veth2', addresses: ['10.0.1.101/24'] }, b: { node: 'netns2', ifname: 'veth3', addresses: ['10.0.1.102/24'] } });
  });

  it('removing a node removes its cables and its place', () => {
    const d = removeNode(seedLab3(), 'br0');
    expect(d.nodes.map((n) => n.name)).toEqual(['netns1', 'netns2']);
    expect(d.links).toEqual([]);
    expect(d.layout?.br0).toBeUndefined();
  });

  it('renaming follows every reference', () => {
    const d = renameNode(seedLab3(), 'br0', 'sw');
    expect(d.links.map((l) => l.b.node)).toEqual(['sw', 'sw']);
    expect(d.layout?.sw).toBeDefined();
    expect(renameNode(d, 'netns1', 'netns2')).toBe(d); // taken: nothing changes
  });

  it('a bad address stays in the document and is reported at its field', () => {
    const d = setEnd(seedLab3(), 0, 'a', { addresses: ['10.0.0.300/24'] });
    expect(checkDocument(d).at('links[0].a.addresses[0]')).toEqual(["'10.0.0.300' has octet 300; each must be 0 to 255"]);
    expect(checkDocument(d).under('links[0]')).toBe(1);
  });
});

describe('undo stack', () => {
  it('undoes and redoes named edits; typing in one field is one step', () => {
    let h = startHistory(emptyTopology());
    h = record(h, addNode(h.present, 'netns', at), 'add netns1', undefined, 0);
    const withNode = h.present;
    expect(record(h, h.present, 'nothing changed')).toBe(h);
    h = record(h, { ...h.present, name: 'a' }, 'name', 'doc.name', 100);
    h = record(h, { ...h.present, name: 'ab' }, 'name', 'doc.name', 200);
    expect(h.past.length).toBe(2);
    h = undo(h);
    expect(h.present).toBe(withNode);
    h = redo(h);
    expect(h.present.name).toBe('ab');
    h = undo(undo(h));
    expect(h.present.nodes).toEqual([]);
  });
});

describe('kernel overlay', () => {
  const drawing = seedLab3();
  const link = (ifname: string, extra = {}) => ({ ifname, ifindex: 1, kind: 'veth', up: true, operUp: true, addresses: [], ...extra });
  const ns = (node: string, links: ReturnType<typeof link>[]) => ({
    node, links, routes: [], rules: [], neighbors: [], sysctls: {}, iptables: { chains: {}, rules: {} }, listening: [], netnsIds: {},
  });
  const status = (namespaces: Record<string, ReturnType<typeof ns>>, drift: SessionStatus['drift'] = []): SessionStatus => ({
    info: { id: 's1', owner: 'server:1', createdAt: 0, phase: 'ready', nodes: ['host'] },
    desired: drawing,
    observed: { at: 1, namespaces, containers: [] },
    drift,
  });

  it('a veth deleted from a terminal is drift; a namespace made by hand is a ghost', () => {
    const live = deriveLive(drawing, status({
      host: ns('host', [link('br0', { kind: 'bridge' }), link('veth2', { master: 'br0' })]),
      netns1: ns('netns1', []),
      netns2: ns('netns2', [link('veth3')]),
      foo: ns('foo', []),
    }, [{ kind: 'missing', node: 'host', fact: { kind: 'link', node: 'host', ifname: 'veth0' }, message: 'veth0 in host is missing' }]))!;
    expect(live.links.map((l) => l.state)).toEqual(['drift', 'up']);
    expect(live.nodes.netns1.state).toBe('up');
    expect(live.ghosts.map((g) => g.name)).toEqual(['foo']);
  });

  it('a drawing not applied yet is planned, not drift', () => {
    const live = deriveLive(drawing, { ...status({ host: ns('host', []) }), desired: emptyTopology() })!;
    expect(live.links.map((l) => l.state)).toEqual(['planned', 'planned']);
    expect(live.nodes.netns1.state).toBe('planned');
  });

  it('the view puts the sandbox\'s cables first and maps indices back to the drawing', () => {
    const sandbox: Topology = {
      version: 1, nodes: [{ name: 'host', kind: 'host' }, { name: 'internet', kind: 'internet' }],
      links: [{ a: { node: 'host', ifname: 'enp0s3' }, b: { node: 'internet', ifname: 'eth0' } }],
    };
    const v = viewOf(sandbox, drawing);
    expect(v.doc.links.length).toBe(3);
    expect(drawingLink(v, 0)).toBeUndefined();
    expect(drawingLink(v, 2)).toBe(1);
    expect(v.infra.has('internet')).toBe(true);
  });
});
