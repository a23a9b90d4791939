'use client';
// The right-hand panel: what is selected, every field of it, and the validator's sentences at the
// fields. With nothing selected: the document's problems and the kernel's drift.
import { removeLink, setEnd, type Side } from '@/lib/commands';
import { ownerOf, type Problems } from '@/lib/errors';
import type { Live } from '@/lib/live';
import { drawingLink, viewLink, type View } from '@/lib/view';
import type { Topology } from '@/server/topology/schema';
import type { Edit, Selection } from '../canvas/Canvas';
import NodeInspector from './NodeInspector';
import { AddressList, Check, NumberField, Section, TextField } from './fields';

interface Props {
  doc: Topology;
  view: View;
  live?: Live;
  problems: Problems;
  selection: Selection;
  onSelect(s: Selection): void;
  edit: Edit;
  openTerminal(node: string): void;
  adopt(name: string): void;
  /** Kept mounted (its fields keep their state) while the packets drawer has the column. */
  hidden?: boolean;
}

export default function Inspector(props: Props) {
  const { doc, view, selection, live } = props;
  const shown = selection.nodes.length === 1 ? view.doc.nodes.find((n) => n.name === selection.nodes[0]) : undefined;
  const node = shown ? (doc.nodes.find((n) => n.name === shown.name) ?? { name: shown.name, kind: shown.kind }) : undefined;
  const ghost = selection.nodes.length === 1 && !shown ? live?.ghosts.find((g) => g.name === selection.nodes[0]) : undefined;
  const drawnLink = selection.link !== undefined ? drawingLink(view, selection.link) : undefined;
  const link = drawnLink !== undefined ? doc.links[drawnLink] : undefined;
  const sandboxLink = selection.link !== undefined && drawnLink === undefined ? view.doc.links[selection.link] : undefined;
  return (
    <aside className={`panel ${props.hidden ? 'hidden' : 'flex'} w-[340px] flex-none flex-col overflow-y-auto border-l`} data-testid="inspector">
      {node ? (
        <NodeInspector key={node.name} doc={doc} node={node} sandbox={view.infra.has(node.name) ? shown : undefined} sandboxLinks={view.doc.links.slice(0, view.sandboxLinks)}
          live={live?.nodes[node.name]} errorsAt={props.problems.at} edit={props.edit}
          onRenamed={(n) => props.onSelect({ nodes: [n] })} openTerminal={props.openTerminal} />
      ) : link && drawnLink !== undefined ? (
        <LinkInspector {...props} index={drawnLink} />
      ) : sandboxLink ? (
        <div className="p-3" data-testid="inspect-sandbox-link">
          <div className="text-[15px] font-bold">Part of the lab&apos;s machine</div>
          <div className="mono mt-1 text-[12px]">{sandboxLink.a.node}:{sandboxLink.a.ifname} {(sandboxLink.a.addresses ?? []).join(' ')}</div>
          <div className="mono text-[12px]">{sandboxLink.b.node}:{sandboxLink.b.ifname} {(sandboxLink.b.addresses ?? []).join(' ')}</div>
          <p className="muted mt-2">This cable is the sandbox&apos;s wiring (like the VM&apos;s network cards in the seed). It is always there and cannot be edited.</p>
        </div>
      ) : ghost?.bridge ? (
        <div className="p-3" data-testid={`inspect-ghost-${ghost.name}`}>
          <div className="text-[15px] font-bold">{ghost.name}</div>
          <p className="muted mt-1">This bridge exists in the kernel ({ghost.bridge.in}) but not in your drawing: it was made by hand (e.g. <span className="mono">ip link add name {ghost.name} type bridge</span>).</p>
          <div className="mono mt-2 text-[11.5px]">
            <div>{ghost.name} <span className="muted">bridge {ghost.bridge.link.up ? 'UP' : 'DOWN'}</span> {ghost.bridge.link.addresses.join(' ')}</div>
            {ghost.bridge.ports.map((p) => <div key={p}>port {p}</div>)}
          </div>
        </div>
      ) : ghost ? (
        <div className="p-3" data-testid={`inspect-ghost-${ghost.name}`}>
          <div className="text-[15px] font-bold">{ghost.name}</div>
          <p className="muted mt-1">This namespace exists in the kernel but not in your drawing: someone made it by hand (e.g. <span className="mono">ip netns add {ghost.name}</span> in the host terminal).</p>
          <div className="mono mt-2 text-[11.5px]">
            {ghost.ns.links.map((l) => <div key={l.ifname}>{l.ifname} <span className="muted">{l.kind} {l.up ? 'UP' : 'DOWN'}</span> {l.addresses.join(' ')}</div>)}
          </div>
          <div className="mt-3 flex gap-2">
            <button className="btn btn-primary" onClick={() => props.adopt(ghost.name)}>Adopt into drawing</button>
            <button className="btn" onClick={() => props.openTerminal(ghost.name)}>Terminal</button>
          </div>
        </div>
      ) : selection.nodes.length > 1 ? (
        <div className="p-3"><b>{selection.nodes.length} nodes selected.</b><p className="muted mt-1">Press Del to delete them, or select one to edit it.</p></div>
      ) : (
        <EmptyInspector {...props} />
      )}
    </aside>
  );
}

function LinkInspector({ doc, problems, edit, index, onSelect }: Props & { index: number }) {
  const l = doc.links[index];
  const end = (side: Side) => {
    const e = l[side];
    const ep = `links[${index}].${side}`;
    const peerKind = doc.nodes.find((n) => n.name === e.node)?.kind;
    const set = (field: string, patch: Parameters<typeof setEnd>[3]) => edit(`set ${field} of ${e.node}:${e.ifname}`, (d) => setEnd(d, index, side, patch), `${ep}.${field}`);
    return (
      <Section title={`End ${side.toUpperCase()} · ${e.node}`} testid={`end-${side}`}>
        <TextField label="interface name" value={e.ifname} errors={problems.at(`${ep}.ifname`)} testid={`end-${side}-ifname`} onChange={(v) => set('ifname', { ifname: v })} />
        {problems.at(`${ep}.node`).map((m) => <div key={m} className="field-error">{m}</div>)}
        {peerKind === 'bridge' ? (
          <div className="muted text-[12px]">This end is a port of bridge <b>{e.node}</b> (it lives in {doc.nodes.find((n) => n.name === e.node)?.in ?? 'host'}); ports carry no address.</div>
        ) : (
          <div>
            <span className="muted mb-0.5 block text-[11px]">addresses</span>
            <AddressList values={e.addresses ?? []} errorsAt={problems.at} pathPrefix={`${ep}.addresses`} testid={`end-${side}-address`} onChange={(v) => set('addresses', { addresses: v })} />
          </div>
        )}
        <div className="grid grid-cols-2 gap-1.5">
          <TextField label="MAC (optional)" value={e.mac} placeholder="random" errors={problems.at(`${ep}.mac`)} onChange={(v) => set('mac', { mac: v || undefined })} />
          <NumberField label="MTU (optional)" value={e.mtu} placeholder="1500" errors={problems.at(`${ep}.mtu`)} onChange={(v) => set('mtu', { mtu: v })} />
        </div>
        <Check label="bring it up" checked={e.up !== false} onChange={(v) => set('up', { up: v ? undefined : false })} />
      </Section>
    );
  };
  return (
    <div data-testid={`inspect-link-${index}`}>
      <div className="flex items-center gap-2 px-3 pb-2 pt-3">
        <div className="min-w-0 flex-1">
          <div className="text-[15px] font-bold">veth pair</div>
          <div className="muted mono truncate text-[11.5px]">{l.a.node}:{l.a.ifname} ⟷ {l.b.node}:{l.b.ifname}</div>
        </div>
        <button className="btn btn-danger" onClick={() => { edit(`delete link ${l.a.ifname}–${l.b.ifname}`, (d) => removeLink(d, index)); onSelect({ nodes: [] }); }} data-testid="link-delete">Delete</button>
      </div>
      <p className="muted px-3 pb-2 text-[12px]">A virtual cable: what goes in one end comes out of the other.</p>
      {end('a')}
      {end('b')}
    </div>
  );
}

function EmptyInspector({ doc, view, problems, live, onSelect }: Props) {
  const locate = (path: string) => {
    const o = ownerOf(path);
    if (o && 'node' in o && doc.nodes[o.node]) onSelect({ nodes: [doc.nodes[o.node].name] });
    else if (o && 'link' in o) onSelect({ nodes: [], link: viewLink(view, o.link) });
  };
  return (
    <div className="flex flex-col gap-3 p-3" data-testid="inspector-empty">
      <div>
        <div className="text-[14px] font-bold">Nothing selected</div>
        <p className="muted mt-1">Click a node or a cable to edit it. Double-click a node to open a shell inside it.</p>
      </div>
      <ul className="muted list-disc pl-4 text-[12px] leading-relaxed">
        <li>Drag from the palette to add a namespace, bridge or container.</li>
        <li>Drag a node&apos;s blue dot onto another node to cable them with a veth pair.</li>
        <li><b>Apply</b> builds it in the kernel; the commands panel shows every command.</li>
        <li><span className="kbd">Ctrl</span>+<span className="kbd">Z</span> undo, <span className="kbd">Del</span> delete.</li>
      </ul>
      {problems.list.length > 0 && (
        <div data-testid="problems">
          <div className="section-title mb-1" style={{ color: 'var(--bad)' }}>{problems.list.length} problem{problems.list.length > 1 ? 's' : ''} before Apply</div>
          {problems.list.map((e) => (
            <button key={`${e.path}:${e.message}`} className="block w-full rounded px-1 py-1 text-left hover:bg-[var(--panel-2)]" onClick={() => locate(e.path)}>
              <span className="mono muted text-[11px]">{e.path}</span>
              <div className="field-error" style={{ marginTop: 0 }}>{e.message}</div>
            </button>
          ))}
        </div>
      )}
      {live && live.drift.length > 0 && (
        <div data-testid="drift-list">
          <div className="section-title mb-1" style={{ color: 'var(--warn)' }}>The kernel differs from the drawing</div>
          {live.drift.map((d, i) => <div key={i} className="py-0.5 text-[12px]"><span className="chip">{d.kind}</span> {d.message}</div>)}
          <p className="muted mt-1 text-[11.5px]">Apply again to restore the drawing, or change the drawing to match.</p>
        </div>
      )}
    </div>
  );
}
