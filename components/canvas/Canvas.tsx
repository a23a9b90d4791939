'use client';
// The React Flow canvas. It owns nothing: nodes and edges are derived from the Topology document
// (plus the kernel overlay); every gesture becomes a named command on the document.
import { useCallback, useMemo, useRef, useState, type Dispatch, type DragEvent, type MouseEvent as ReactMouseEvent, type SetStateAction } from 'react';
import {
  Background, BackgroundVariant, ConnectionMode, Controls, MiniMap, ReactFlow, useReactFlow,
  type Connection, type EdgeChange, type FinalConnectionState, type Node, type NodeChange,
} from '@xyflow/react';
import { addNode, addVeth, moveNodes, proposeName, removeMany } from '@/lib/commands';
import { deriveFlow, NODE_SIZE } from '@/lib/flow';
import { canvasMap } from '@/lib/packet-route';
import type { Live } from '@/lib/live';
import type { Problems } from '@/lib/errors';
import type { NodeKind, Topology } from '@/server/topology/schema';
import { drawingLink, ensureNode, type View } from '@/lib/view';
import { CanvasActionsContext, nodeTypes, type CanvasActions } from './nodes';
import { edgeTypes } from './VethEdge';
import PacketLayer, { type Dot, type ProbeShow } from './PacketLayer';

export interface Selection { nodes: string[]; link?: number }
export type Edit = (label: string, fn: (d: Topology) => Topology, key?: string) => void;

interface Props {
  /** The learner's drawing: what edits change. */
  doc: Topology;
  /** What is shown: the sandbox's machine with the drawing on top. */
  view: View;
  live?: Live;
  problems: Problems;
  selection: Selection;
  onSelect: Dispatch<SetStateAction<Selection>>;
  edit: Edit;
  actions: CanvasActions;
  dark: boolean;
  /** Packets to animate: the last probe's ride and captured packets' dots. */
  packets?: { show?: ProbeShow; dots: Dot[]; flown: number; dismiss(): void };
}

export const DRAG_MIME = 'application/x-nsplay-kind';

interface Menu { x: number; y: number; node?: string; link?: number }

export default function Canvas({ doc, view, live, problems, selection, onSelect, edit, actions, dark, packets }: Props) {
  const rf = useReactFlow();
  const [dragging, setDragging] = useState<Record<string, { x: number; y: number }>>({});
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const [menu, setMenu] = useState<Menu | null>(null);
  const connected = useRef(false);

  const selectedNodes = useMemo(() => new Set(selection.nodes), [selection.nodes]);
  const flow = useMemo(() => deriveFlow({
    doc: view.doc, live, dragging, selectedNodes, selectedLink: selection.link, infra: view.infra, sandboxLinks: view.sandboxLinks,
    nodeErrors: (name) => { const i = doc.nodes.findIndex((n) => n.name === name); return i < 0 ? 0 : problems.under(`nodes[${i}]`); },
    linkErrors: (index) => { const j = drawingLink(view, index); return j === undefined ? 0 : problems.under(`links[${j}]`); },
  }), [doc, view, live, problems, dragging, selectedNodes, selection.link]);
  const cables = useMemo(() => canvasMap(view.doc, live), [view.doc, live]);
  const nodes = useMemo(() => flow.nodes.map((n) => (measured[n.id] ? { ...n, measured: measured[n.id] } : n)), [flow.nodes, measured]);

  // Selection changes arrive from nodes and edges in the same tick: always update from the latest.
  const onNodesChange = useCallback((changes: NodeChange[]) => {
    const dims: Record<string, { width: number; height: number }> = {};
    const moves: Record<string, { x: number; y: number }> = {};
    const picks: { id: string; selected: boolean }[] = [];
    for (const c of changes) {
      if (c.type === 'dimensions' && c.dimensions) dims[c.id] = c.dimensions;
      else if (c.type === 'position' && c.position && c.dragging) moves[c.id] = c.position;
      else if (c.type === 'select') picks.push({ id: c.id, selected: c.selected });
    }
    if (Object.keys(dims).length) setMeasured((m) => ({ ...m, ...dims }));
    if (Object.keys(moves).length) setDragging((d) => ({ ...d, ...moves }));
    if (picks.length) {
      onSelect((prev) => {
        const sel = new Set(prev.nodes);
        for (const p of picks) { if (p.selected) sel.add(p.id); else sel.delete(p.id); }
        return { nodes: [...sel], link: sel.size ? undefined : prev.link };
      });
    }
  }, [onSelect]);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    for (const c of changes) {
      if (c.type !== 'select' || !c.id.startsWith('link-')) continue;
      const index = Number(c.id.replace('link-', ''));
      onSelect((prev) => (c.selected ? { nodes: [], link: index } : prev.link === index ? { nodes: prev.nodes } : prev));
    }
  }, [onSelect]);

  const onNodeDragStop = useCallback((_e: unknown, _n: Node, moved: Node[]) => {
    const positions = Object.fromEntries(moved.filter((n) => n.type !== 'ghost').map((n) => [n.id, n.position]));
    if (Object.keys(positions).length) edit(`move ${Object.keys(positions).join(', ')}`, (d) => moveNodes(d, positions));
    setDragging({});
  }, [edit]);

  const connect = useCallback((from: string, to: string) => {
    if (from === to) return;
    const kindOf = (n: string) => view.doc.nodes.find((x) => x.name === n)?.kind;
    const ka = kindOf(from);
    const kb = kindOf(to);
    if (!ka || !kb) return;
    edit(`connect ${from} and ${to}`, (d) => addVeth(ensureNode(ensureNode(d, from, ka), to, kb), from, to, view.doc));
  }, [edit, view.doc]);

  const onConnect = useCallback((c: Connection) => {
    connected.current = true;
    connect(c.source, c.target);
  }, [connect]);

  // Dropping a cable on a node's body (not exactly on a handle) connects too.
  const onConnectEnd = useCallback((event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (connected.current) { connected.current = false; return; }
    const from = state.fromNode?.id;
    const point = 'changedTouches' in event ? event.changedTouches[0] : event;
    const el = document.elementFromPoint(point.clientX, point.clientY)?.closest('.react-flow__node') as HTMLElement | null;
    const to = el?.dataset.id;
    if (from && to) connect(from, to);
  }, [connect]);

  const onDelete = useCallback(({ nodes: ns, edges: es }: { nodes: Node[]; edges: { id: string }[] }) => {
    const names = ns.filter((n) => n.type !== 'ghost' && !view.infra.has(n.id)).map((n) => n.id);
    const links = es.filter((e) => e.id.startsWith('link-')).map((e) => drawingLink(view, Number(e.id.replace('link-', '')))).filter((i): i is number => Number.isInteger(i));
    if (!names.length && !links.length) return;
    edit(`delete ${[...names, ...links.map((i) => `link ${i}`)].join(', ')}`, (d) => removeMany(d, names, links));
    onSelect({ nodes: [] });
  }, [edit, onSelect, view]);

  const onDrop = useCallback((e: DragEvent) => {
    const kind = e.dataTransfer.getData(DRAG_MIME) as NodeKind;
    if (!kind) return;
    e.preventDefault();
    const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    const s = NODE_SIZE[kind] ?? NODE_SIZE.netns;
    const name = proposeName(view.doc, kind);
    if (!name) return;
    edit(`add ${kind} ${name}`, (d) => addNode(d, kind, { x: p.x - s.w / 2, y: p.y - s.h / 2 }, name));
    onSelect({ nodes: [name] });
  }, [view.doc, edit, onSelect, rf]);

  const onNodeDoubleClick = useCallback((_e: ReactMouseEvent, node: Node) => {
    const n = view.doc.nodes.find((x) => x.name === node.id);
    actions.openTerminal(n?.kind === 'bridge' ? (n.in ?? 'host') : node.id);
  }, [actions, view.doc.nodes]);

  const onNodeContextMenu = useCallback((e: ReactMouseEvent, node: Node) => {
    e.preventDefault();
    setMenu({ x: e.clientX, y: e.clientY, node: node.id });
  }, []);
  const onEdgeContextMenu = useCallback((e: ReactMouseEvent, edge: { id: string }) => {
    e.preventDefault();
    if (!edge.id.startsWith('link-')) return;
    setMenu({ x: e.clientX, y: e.clientY, link: Number(edge.id.replace('link-', '')) });
  }, []);

  const menuNode = menu?.node ? view.doc.nodes.find((n) => n.name === menu.node) : undefined;
  const menuLinkIsDrawn = menu?.link !== undefined && drawingLink(view, menu.link) !== undefined;
  const menuGhost = menu?.node && !menuNode;

  return (
    <CanvasActionsContext.Provider value={actions}>
      <div className="relative h-full w-full" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }} onDrop={onDrop}
        onClick={() => setMenu(null)} data-testid="canvas">
        <ReactFlow
          nodes={nodes}
          edges={flow.edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onNodeDragStop={onNodeDragStop}
          onConnect={onConnect}
          onConnectEnd={onConnectEnd}
          onDelete={onDelete}
          onNodeDoubleClick={onNodeDoubleClick}
          onNodeContextMenu={onNodeContextMenu}
          onEdgeContextMenu={onEdgeContextMenu}
          onPaneClick={() => { onSelect({ nodes: [] }); setMenu(null); }}
          connectionMode={ConnectionMode.Loose}
          connectionRadius={30}
          deleteKeyCode={['Delete', 'Backspace']}
          multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
          zoomOnDoubleClick={false}
          colorMode={dark ? 'dark' : 'light'}
          fitView
          fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
          minZoom={0.15}
          maxZoom={2.5}
          proOptions={{ hideAttribution: true }}
          // Not onlyRenderVisibleElements: with it, panning a 200-node drawing re-rendered the node and edge
          // lists every frame and mounted/unmounted nodes at the edges of the view (slower, not faster); the
          // pan's cost is painting, which globals.css keeps off the nodes while the pane is dragged.
        >
          <Background variant={BackgroundVariant.Dots} gap={18} size={1.2} />
          <Controls showInteractive={false} position="bottom-left" />
          <MiniMap pannable zoomable position="bottom-right" style={{ width: 140, height: 90 }} nodeStrokeWidth={3} />
          {packets && <PacketLayer map={cables} probe={packets.show} dots={packets.dots} flown={packets.flown} onDismiss={packets.dismiss} />}
        </ReactFlow>
        {doc.nodes.filter((n) => !view.infra.has(n.name)).length === 0 && !(live?.ghosts.length) && (
          <div className="panel pointer-events-none absolute left-3 top-3 z-10 max-w-[340px] rounded-lg border px-3 py-2 shadow-sm" data-testid="canvas-empty">
            <div className="font-semibold">Start drawing</div>
            <p className="muted mt-0.5">Drag a <b>namespace</b> or a <b>bridge</b> from the left onto the canvas, then drag from a node&apos;s blue dot to another node to cable them with a veth pair.</p>
          </div>
        )}
        {menu && (
          <div className="panel fixed z-50 rounded-md border py-1 shadow-lg" style={{ left: menu.x, top: menu.y, minWidth: 180 }} data-testid="context-menu">
            {menuNode && (
              <>
                <MenuItem onClick={() => actions.openTerminal(menuNode.kind === 'bridge' ? (menuNode.in ?? 'host') : menuNode.name)} testid="menu-terminal">
                  Open terminal in {menuNode.kind === 'bridge' ? (menuNode.in ?? 'host') : menuNode.name}
                </MenuItem>
                <MenuItem onClick={() => onSelect({ nodes: [menuNode.name] })}>Inspect</MenuItem>
                {!view.infra.has(menuNode.name) && <MenuItem danger onClick={() => onDelete({ nodes: [{ id: menuNode.name, type: 'x' } as Node], edges: [] })}>Delete</MenuItem>}
              </>
            )}
            {menuGhost && (
              <>
                <MenuItem onClick={() => actions.adopt(menu.node!)}>Adopt into drawing</MenuItem>
                <MenuItem onClick={() => actions.openTerminal(menu.node!)}>Open terminal</MenuItem>
              </>
            )}
            {menu.link !== undefined && (
              <>
                <MenuItem onClick={() => onSelect({ nodes: [], link: menu.link })}>Edit ends</MenuItem>
                {menuLinkIsDrawn && <MenuItem danger onClick={() => onDelete({ nodes: [], edges: [{ id: `link-${menu.link}` }] })}>Delete veth pair</MenuItem>}
              </>
            )}
          </div>
        )}
      </div>
    </CanvasActionsContext.Provider>
  );
}

function MenuItem({ children, onClick, danger, testid }: { children: React.ReactNode; onClick(): void; danger?: boolean; testid?: string }) {
  return (
    <button className="block w-full px-3 py-1.5 text-left hover:bg-[var(--panel-2)]" style={danger ? { color: 'var(--bad)' } : undefined}
      onClick={onClick} data-testid={testid}>
      {children}
    </button>
  );
}
