'use client';
// Custom React Flow nodes that look like what they are: a namespace is a box with its interfaces on
// its border, a bridge a switch bar, a container a box with its image, the internet a cloud.
import { createContext, useContext, useEffect, useState, type CSSProperties, type ReactNode } from 'react';
import { Handle, NodeToolbar, Position, useNodeId, useUpdateNodeInternals, type Node, type NodeProps, type NodeTypes } from '@xyflow/react';
import type { Iface, GhostNodeData, Side, TopoNodeData } from '@/lib/flow';
import { NODE_SIZE } from '@/lib/flow';
import type { NamespaceState } from '@/server/observe/types';
import { KindIcon } from '../icons';

export interface CanvasActions {
  adopt(name: string): void;
  openTerminal(node: string): void;
}
export const CanvasActionsContext = createContext<CanvasActions>({ adopt() {}, openTerminal() {} });

const POS: Record<Side, Position> = { top: Position.Top, right: Position.Right, bottom: Position.Bottom, left: Position.Left };

// The port square sits centred on the border; its label points away from the box. Placed with
// offsets and negative margins, not transforms: every transform is a paint property node, and a
// 200-namespace star's 400 ports made each pan frame's layerization twice as slow.
function portStyle(f: Iface): CSSProperties {
  const pct = `${(f.offset * 100).toFixed(1)}%`;
  const rest = `${(100 - f.offset * 100).toFixed(1)}%`;
  switch (f.side) {
    case 'top': return f.flip
      ? { right: rest, bottom: '100%', marginRight: -6, marginBottom: -6, flexDirection: 'row-reverse' }
      : { left: pct, bottom: '100%', marginLeft: -6, marginBottom: -6, flexDirection: 'row' };
    case 'bottom': return f.flip
      ? { right: rest, top: '100%', marginRight: -6, marginTop: -6, flexDirection: 'row-reverse' }
      : { left: pct, top: '100%', marginLeft: -6, marginTop: -6, flexDirection: 'row' };
    case 'left': return { top: pct, right: '100%', marginRight: -6, marginTop: -6, flexDirection: 'row-reverse' };
    case 'right': return { top: pct, left: '100%', marginLeft: -6, marginTop: -6, flexDirection: 'row' };
  }
}

/** The node's interfaces, each a port on the border with its name and address. */
function Ports({ ifaces, extra }: { ifaces: Iface[]; extra?: { ifname: string; addresses: string[] }[] }) {
  // Handles come and go with the cables: React Flow must re-measure them or edges cannot attach.
  const id = useNodeId();
  const update = useUpdateNodeInternals();
  const layoutKey = ifaces.map((f) => `${f.handle}:${f.side}:${f.offset.toFixed(3)}`).join('|');
  // (labels may flip sides without moving a handle: no re-measure needed for that)
  useEffect(() => { if (id) update(id); }, [id, layoutKey, update]);
  return (
    <>
      {ifaces.map((f) => {
        const state = f.observed ? (f.observed.operUp ? 'up' : 'down') : '';
        const label = f.addresses.length ? `${f.ifname} ${f.addresses[0]}` : f.ifname;
        return (
          // The handle (where the cable ends) is the port square itself, in the label's flow: one
          // positioned box per port instead of two keeps big drawings cheap to pan.
          <div key={f.handle} className="iface" style={portStyle(f)} data-testid={`port-${f.ifname}`} data-state={state || 'planned'}>
            <Handle type="source" id={f.handle} position={POS[f.side]} className={`if-handle port ${state}`} isConnectable={false} />
            <span className="label">{label}</span>
          </div>
        );
      })}
      {extra && extra.length > 0 && (
        <div className="absolute left-2 right-2 -bottom-6 flex gap-1 flex-wrap" title="in the kernel, not in the drawing">
          {extra.map((l) => (
            <span key={l.ifname} className="chip mono" style={{ borderStyle: 'dashed', borderColor: 'var(--warn)' }}>
              {l.ifname}{l.addresses[0] ? ` ${l.addresses[0]}` : ''}
            </span>
          ))}
        </div>
      )}
    </>
  );
}

/** Handles to start a new veth from: drag from the blue dot to another node. */
function ConnectHandles() {
  return (
    <>
      <Handle type="source" id="new-right" position={Position.Right} className="new-handle" title="drag to another node to connect a veth pair" />
      <Handle type="source" id="new-left" position={Position.Left} className="new-handle" />
    </>
  );
}

function KernelCard({ ns, visible, extra }: { ns?: NamespaceState; visible: boolean; extra?: ReactNode }) {
  if (!ns && !extra) return null;
  return (
    <NodeToolbar isVisible={visible} position={Position.Bottom} offset={14}>
      <div className="kernel-card" style={{ position: 'static' }} data-testid="kernel-card">
        <div className="section-title mb-1" style={{ fontFamily: 'var(--sans)' }}>in the kernel now</div>
        {extra}
        {ns && (
          <>
            {ns.links.filter((l) => l.kind !== 'loopback' || l.addresses.length > 1).map((l) => (
              <div key={l.ifname}>
                <span style={{ color: l.operUp ? 'var(--ok)' : 'var(--bad)' }}>●</span> {l.ifname}
                <span className="muted"> {l.kind}{l.master ? ` → ${l.master}` : ''} {l.up ? 'UP' : 'DOWN'}</span>
                {l.addresses.map((a) => <div key={a} style={{ paddingLeft: 14 }}>{a}</div>)}
              </div>
            ))}
            {ns.routes.filter((r) => r.table === 'main').length > 0 && <div className="muted mt-1">routes</div>}
            {ns.routes.filter((r) => r.table === 'main').slice(0, 8).map((r, i) => (
              <div key={i}>{r.dst}{r.gateway ? ` via ${r.gateway}` : ''}{r.dev ? ` dev ${r.dev}` : ''}</div>
            ))}
            {ns.sysctls['net.ipv4.ip_forward'] === '1' && <div className="muted mt-1">ip_forward = 1</div>}
          </>
        )}
      </div>
    </NodeToolbar>
  );
}

function useHover() {
  const [hover, setHover] = useState(false);
  return { hover, bind: { onMouseEnter: () => setHover(true), onMouseLeave: () => setHover(false) } };
}

function stateClass(d: TopoNodeData): string {
  if (!d.live) return '';
  return d.live.state === 'planned' ? 'is-planned' : d.live.state === 'missing' ? 'is-missing' : '';
}

function StatusDot({ d }: { d: TopoNodeData }) {
  const s = d.live?.state ?? 'planned';
  const title = s === 'up' ? 'exists in the kernel' : s === 'missing' ? 'drawn and applied, but gone from the kernel' : 'not applied yet';
  return <span className={`status-dot ${s}`} title={title} data-testid="status-dot" data-state={s} />;
}

function ErrorBadge({ n }: { n: number }) {
  return n > 0 ? <span className="err-badge" title={`${n} problem${n > 1 ? 's' : ''}: select to see`}>{n}</span> : null;
}

const KIND_LABEL: Record<string, string> = {
  netns: 'namespace', host: 'host', router: 'router', external: 'external', container: 'container', bridge: 'bridge', internet: 'internet',
};

function summary(d: TopoNodeData): string[] {
  const n = d.node;
  const lines: string[] = [];
  for (const a of n.addresses ?? []) if (typeof a !== 'string') lines.push(`${a.dev} ${a.address}`);
  const def = n.routes?.find((r) => r.dst === 'default');
  if (def) lines.push(`default via ${def.via ?? def.dev}`);
  else if (n.routes?.length) lines.push(`${n.routes.length} route${n.routes.length > 1 ? 's' : ''}`);
  if (n.sysctls?.['net.ipv4.ip_forward'] === '1') lines.push('ip_forward on');
  const rules = n.iptables?.rules?.length ?? 0;
  if (rules) lines.push(`${rules} iptables rule${rules > 1 ? 's' : ''}`);
  for (const s of n.services ?? []) lines.push(`http :${s.port}`);
  return lines;
}

function NamespaceNode({ data, selected }: NodeProps<Node<TopoNodeData>>) {
  const { hover, bind } = useHover();
  const n = data.node;
  const size = NODE_SIZE[n.kind] ?? NODE_SIZE.netns;
  const lines = summary(data);
  return (
    <div className={`topo-node kind-${n.kind} ${stateClass(data)}`} style={{ width: size.w, minHeight: size.h }} {...bind} data-kind={n.kind}>
      <div className="title">
        <StatusDot d={data} />
        <span style={{ color: 'var(--c)' }}><KindIcon kind={n.kind} /></span>
        <span className="truncate">{n.name}</span>
        <span className="kind">{KIND_LABEL[n.kind]}</span>
      </div>
      <div className="body">
        {lines.length === 0 ? <span style={{ opacity: 0.7 }}>{n.kind === 'host' ? "the lab's root namespace" : 'double-click: terminal'}</span> : lines.slice(0, 4).map((l) => <div key={l}>{l}</div>)}
      </div>
      <Ports ifaces={data.ifaces} extra={data.live?.extra} />
      <ConnectHandles />
      <ErrorBadge n={data.errors} />
      <KernelCard ns={data.live?.ns} visible={hover && !selected} />
    </div>
  );
}

function ContainerNode({ data, selected }: NodeProps<Node<TopoNodeData>>) {
  const { hover, bind } = useHover();
  const n = data.node;
  const size = NODE_SIZE.container;
  return (
    <div className={`topo-node kind-container ${stateClass(data)}`} style={{ width: size.w, minHeight: size.h }} {...bind} data-kind="container">
      <div className="title">
        <StatusDot d={data} />
        <span style={{ color: 'var(--c)' }}><KindIcon kind="container" /></span>
        <span className="truncate">{n.name}</span>
        <span className="kind">container</span>
      </div>
      <div className="body">
        <div className="chip mono" style={{ color: 'var(--c)' }} title="image">{n.image ?? 'default image'}</div>
        {summary(data).slice(0, 2).map((l) => <div key={l}>{l}</div>)}
      </div>
      <Ports ifaces={data.ifaces} extra={data.live?.extra} />
      <ConnectHandles />
      <ErrorBadge n={data.errors} />
      <KernelCard ns={data.live?.ns} visible={hover && !selected} />
    </div>
  );
}

function BridgeNode({ data }: NodeProps<Node<TopoNodeData>>) {
  const n = data.node;
  const size = NODE_SIZE.bridge;
  const addr = (n.addresses ?? []).map((a) => (typeof a === 'string' ? a : a.address));
  return (
    <div className={`topo-node kind-bridge bridge-bar ${stateClass(data)}`} style={{ width: size.w, height: size.h }} data-kind="bridge">
      <StatusDot d={data} />
      <span style={{ color: 'var(--c)' }}><KindIcon kind="bridge" /></span>
      <div className="leading-tight">
        <div className="font-bold">{n.name}</div>
        <div className="mono muted" style={{ fontSize: 10.5 }}>{addr[0] ?? `bridge in ${n.in ?? 'host'}`}</div>
      </div>
      <div className="ports" aria-hidden>{Array.from({ length: 8 }, (_, i) => <i key={i} />)}</div>
      <Ports ifaces={data.ifaces} />
      <ConnectHandles />
      <ErrorBadge n={data.errors} />
    </div>
  );
}

function CloudNode({ data, selected }: NodeProps<Node<TopoNodeData>>) {
  const { hover, bind } = useHover();
  const n = data.node;
  const addrs = (n.addresses ?? []).map((a) => (typeof a === 'string' ? a : a.address));
  const missing = data.live?.state === 'missing';
  return (
    <div className={`cloud-node kind-internet`} {...bind} data-kind="internet">
      <svg viewBox="0 0 190 110" width="190" height="110" aria-hidden>
        <path d="M46 108 H146 a32 32 0 0 0 8-64 a40 40 0 0 0-72-16 a28 28 0 0 0-44 20 a29 29 0 0 0 8 60z"
          style={{ fill: 'var(--cbg)', stroke: missing ? 'var(--bad)' : 'var(--c)', strokeWidth: 2.5, strokeDasharray: data.live?.state === 'up' ? undefined : '6 4' }} />
      </svg>
      <div className="cloud-text">
        <div className="font-bold flex items-center justify-center gap-1.5"><StatusDot d={data} />{n.name}</div>
        <div className="mono muted" style={{ fontSize: 10.5 }}>{addrs.length ? addrs.slice(0, 2).map((a) => a.replace(/\/32$/, '')).join(' · ') : 'the internet'}</div>
      </div>
      <Ports ifaces={data.ifaces} />
      <ConnectHandles />
      <ErrorBadge n={data.errors} />
      <KernelCard ns={data.live?.ns} visible={hover && !selected} />
    </div>
  );
}

function GhostNode({ data }: NodeProps<Node<GhostNodeData>>) {
  const actions = useContext(CanvasActionsContext);
  const g = data.ghost;
  const links = g.ns.links.filter((l) => l.kind !== 'loopback');
  // Observed cables (flow.ts ghostEdges) leave a namespace on the right and enter a bridge on the left.
  const handles = (
    <>
      <Handle type="source" id="ghost-out" position={Position.Right} isConnectable={false} style={{ opacity: 0 }} />
      <Handle type="target" id="ghost-in" position={Position.Left} isConnectable={false} style={{ opacity: 0 }} />
    </>
  );
  if (g.bridge) {
    const b = g.bridge;
    return (
      <div className="topo-node kind-ghost" style={{ width: NODE_SIZE.ghost.w, minHeight: 60 }} data-kind="ghost-bridge" data-testid={`ghost-${g.name}`}>
        {handles}
        <div className="title">
          <span className={`status-dot ${b.link.operUp || b.link.up ? 'up' : ''}`} />
          <KindIcon kind="bridge" />
          <span className="truncate">{g.name}</span>
          <span className="kind ml-auto">observed</span>
        </div>
        <div className="body">
          <div>{b.link.addresses.join(' ') || 'no address'} · {b.link.up ? 'UP' : 'DOWN'}</div>
          <div className="truncate">{b.ports.length ? `ports: ${b.ports.join(', ')}` : 'no ports yet'}</div>
        </div>
      </div>
    );
  }
  return (
    <div className="topo-node kind-ghost" style={{ width: NODE_SIZE.ghost.w, minHeight: 80 }} data-kind="ghost" data-testid={`ghost-${g.name}`}>
      {handles}
      <div className="title">
        <span className="status-dot up" />
        <KindIcon kind="ghost" />
        <span className="truncate">{g.name}</span>
        <span className="kind ml-auto">observed</span>
      </div>
      <div className="body">
        <div>made outside the drawing</div>
        {links.slice(0, 3).map((l) => <div key={l.ifname}>{l.ifname} {l.addresses[0] ?? ''}</div>)}
        <button className="btn nodrag mt-1" style={{ height: 24, fontFamily: 'var(--sans)' }} onClick={() => actions.adopt(g.name)} data-testid={`adopt-${g.name}`}>
          Adopt into drawing
        </button>
      </div>
    </div>
  );
}

// Module scope, so React Flow never sees a new object and remounts every node.
export const nodeTypes: NodeTypes = {
  namespace: NamespaceNode,
  container: ContainerNode,
  bridge: BridgeNode,
  cloud: CloudNode,
  ghost: GhostNode,
};
