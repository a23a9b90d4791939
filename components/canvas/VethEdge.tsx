'use client';
// A veth pair: a cable between two ports. Its look is the kernel's verdict: dashed grey = not applied,
// green = both ends up, amber = an end down, dashed red = drift (applied, then changed in the kernel).
import type { CSSProperties } from 'react';
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type Edge, type EdgeProps, type EdgeTypes } from '@xyflow/react';
import type { VethEdgeData } from '@/lib/flow';

// Inline (not only the CSS classes) so an exported PNG/SVG of the canvas draws the cables too.
const STROKE: Record<string, CSSProperties> = {
  planned: { stroke: 'var(--planned)', strokeDasharray: '6 5' },
  up: { stroke: 'var(--ok)' },
  down: { stroke: 'var(--warn)' },
  drift: { stroke: 'var(--bad)', strokeDasharray: '7 5', strokeWidth: 3 },
  invalid: { stroke: 'var(--bad)' },
};

function VethEdge({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected }: EdgeProps<Edge<VethEdgeData>>) {
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, curvature: 0.3 });
  const state = data?.errors ? 'invalid' : (data?.live?.state ?? 'planned');
  const drift = data?.live?.drift ?? [];
  const title = drift.length ? drift.map((d) => d.message).join('\n')
    : state === 'up' ? 'both ends are up in the kernel' : state === 'down' ? 'in the kernel, but an end is down'
    : state === 'planned' ? 'not applied yet' : state === 'invalid' ? 'this link has problems: select it' : '';
  return (
    <>
      <BaseEdge id={id} path={path} className={`veth-path ${state}`} interactionWidth={18}
        style={{ fill: 'none', strokeWidth: selected ? 4 : 2.5, ...STROKE[state] }} />
      <path d={path} fill="none" stroke="transparent" data-testid={`veth-${data?.a.node}-${data?.b.node}`} data-state={state}>
        <title>{`${data?.a.node}:${data?.a.ifname} ⟷ ${data?.b.node}:${data?.b.ifname}\n${title}`}</title>
      </path>
      {state === 'drift' && (
        <EdgeLabelRenderer>
          <div className="drift-mark nodrag nopan" style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            title={title} data-testid="drift-mark">
            drift
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const edgeTypes: EdgeTypes = { veth: VethEdge };
