/**
 * The part of the checkpoint graph a person sees: an SVG view box over the
 * laid-out graph, moved by Fit, zoom and pan (call-graph.ts applies it).
 */

/** A rectangle in the graph's coordinates. */
export interface ViewBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** A size in screen pixels (the canvas's; 0 before it is laid out). */
export interface Viewport {
  readonly width: number;
  readonly height: number;
}

/** The viewport's size, or 800×400 while the canvas has none yet. */
function sized(viewport: Viewport): Viewport {
  return { width: viewport.width || 800, height: viewport.height || 400 };
}

/** The box that shows all of `extent`: never larger than life (a small graph keeps its size, centred). */
export function fitBox(extent: ViewBox, viewport: Viewport): ViewBox {
  const { width, height } = sized(viewport);
  const w = Math.max(extent.w + 20, width);
  const h = Math.max(extent.h + 20, height);
  return { x: extent.x + extent.w / 2 - w / 2, y: extent.y + extent.h / 2 - h / 2, w, h };
}

/** The box centred on the point `at`, at full size. */
export function centredBox(at: { readonly x: number; readonly y: number }, viewport: Viewport): ViewBox {
  const { width, height } = sized(viewport);
  return { x: at.x - width / 2, y: at.y - height / 2, w: width, h: height };
}

/**
 * `box` zoomed by `factor` (below 1: in) around the point at fractions
 * (`fx`, `fy`) of it, which stays where it is on screen. The width stays
 * between 100 and four times the graph's larger side plus 400.
 */
export function zoomBox(box: ViewBox, extent: ViewBox, factor: number, fx = 0.5, fy = 0.5): ViewBox {
  const w = Math.min(Math.max(box.w * factor, 100), Math.max(extent.w, extent.h) * 4 + 400);
  const h = (w / box.w) * box.h;
  return { x: box.x + (box.w - w) * fx, y: box.y + (box.h - h) * fy, w, h };
}

/** `box` moved by (`dx`, `dy`) in graph coordinates. */
export function movedBox(box: ViewBox, dx: number, dy: number): ViewBox {
  return { ...box, x: box.x + dx, y: box.y + dy };
}
