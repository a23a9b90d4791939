// Export the canvas as PNG or SVG: render the React Flow viewport framed on all nodes.
import { getNodesBounds, getViewportForBounds, type Node } from '@xyflow/react';
import { toPng, toSvg } from 'html-to-image';
import { downloadUrl } from './download';

export async function exportCanvas(nodes: Node[], format: 'png' | 'svg', name: string): Promise<void> {
  const viewport = document.querySelector('.react-flow__viewport') as HTMLElement | null;
  if (!viewport || nodes.length === 0) throw new Error('nothing on the canvas to export');
  const bounds = getNodesBounds(nodes);
  const pad = 140; // port labels stick out of the nodes
  const width = Math.ceil(Math.min(4000, Math.max(400, bounds.width + pad * 2)));
  const height = Math.ceil(Math.min(4000, Math.max(300, bounds.height + pad * 2)));
  const vp = getViewportForBounds(bounds, width, height, 0.2, 2, 0.12);
  const background = getComputedStyle(document.documentElement).getPropertyValue('--canvas').trim() || '#ffffff';
  const options = {
    backgroundColor: background,
    width,
    height,
    style: { width: `${width}px`, height: `${height}px`, transform: `translate(${vp.x}px, ${vp.y}px) scale(${vp.zoom})` },
    // Interactive chrome (connection dots) is not part of the picture.
    filter: (el: HTMLElement) => !el.classList?.contains('new-handle'),
  };
  const restore = freezeSvgPaint(viewport);
  try {
    const url = format === 'png' ? await toPng(viewport, { ...options, pixelRatio: 2 }) : await toSvg(viewport, options);
    downloadUrl(`${name}.${format}`, url);
  } finally {
    restore();
  }
}

/**
 * SVG shapes painted through CSS classes and variables (cables, the internet's cloud) lose their
 * paint in the exported copy: write the resolved colours inline for the export, then put back.
 */
function freezeSvgPaint(root: HTMLElement): () => void {
  const saved: [Element, string | null][] = [];
  root.querySelectorAll<SVGElement>('svg path, svg circle, svg rect').forEach((el) => {
    const cs = getComputedStyle(el);
    saved.push([el, el.getAttribute('style')]);
    el.style.fill = cs.fill;
    el.style.stroke = cs.stroke;
    el.style.strokeWidth = cs.strokeWidth;
    el.style.strokeDasharray = cs.strokeDasharray;
  });
  return () => {
    for (const [el, style] of saved) {
      if (style === null) el.removeAttribute('style');
      else el.setAttribute('style', style);
    }
  };
}
