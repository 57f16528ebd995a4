// Render a Vega-Lite spec to a standalone SVG string, server-side (no browser).
// vega and vega-lite are imported on first use: they are heavy and most runs of a
// cached pipeline never draw anything.

export type VegaLiteSpec = Record<string, unknown>;

export async function renderVegaLiteSvg(spec: VegaLiteSpec): Promise<string> {
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
