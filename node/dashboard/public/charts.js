// Small SVG charts (bars with an optional line on a second axis), no library.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const nice = (v) => {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
};

/**
 * bars: [{x, y: number, label?, color?}] (label: the axis text, x by default; titles show x), line?: [{x, y}] drawn against its own axis.
 * Returns an <svg>. Labels thin out to about 12 along the x axis.
 */
export function barChart({ bars, line, height = 220, width = 900, yLabel = '', lineLabel = '', barColor = '#4fc3f7', lineColor = '#ffb74d', sameAxis = false }) {
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  const pad = { l: 56, r: line && !sameAxis ? 56 : 12, t: 26, b: 28 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  // sameAxis: bars and line are the same quantity (e.g. DPIN emitted vs DPIN burned), one scale.
  const maxY = nice(Math.max(0, ...bars.map((b) => b.y), ...(sameAxis && line ? line.map((p) => p.y) : [])));
  const n = Math.max(bars.length, 1);
  const bw = w / n;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + h - (h * i) / 4;
    svg.append(el('line', { x1: pad.l, x2: pad.l + w, y1: y, y2: y, stroke: '#263241' }));
    svg.append(el('text', { x: pad.l - 6, y: y + 4, 'text-anchor': 'end', fill: '#8494a5', 'font-size': 11 }, fmtShort((maxY * i) / 4)));
  }
  bars.forEach((b, i) => {
    const bh = (h * Math.max(0, b.y)) / maxY;
    const r = el('rect', { x: pad.l + i * bw + bw * 0.1, y: pad.t + h - bh, width: Math.max(1, bw * 0.8), height: bh, fill: b.color ?? barColor });
    r.append(el('title', {}, `${b.x}: ${b.y}`));
    svg.append(r);
  });
  const every = Math.max(1, Math.ceil(n / 12));
  bars.forEach((b, i) => {
    if (i % every) return;
    svg.append(el('text', { x: pad.l + i * bw + bw / 2, y: height - 8, 'text-anchor': 'middle', fill: '#8494a5', 'font-size': 11 }, String(b.label ?? b.x)));
  });
  if (yLabel) svg.append(el('text', { x: 4, y: 12, fill: sameAxis ? barColor : '#8494a5', 'font-size': 11 }, yLabel));
  if (line && line.length) {
    const maxL = sameAxis ? maxY : nice(Math.max(0, ...line.map((p) => p.y)));
    const pts = line.map((p, i) => `${pad.l + i * bw + bw / 2},${pad.t + h - (h * Math.max(0, p.y)) / maxL}`).join(' ');
    svg.append(el('polyline', { points: pts, fill: 'none', stroke: lineColor, 'stroke-width': 2 }));
    // a dot per point: a single epoch's value is visible too, and hovering shows it
    line.forEach((p, i) => {
      const c = el('circle', { cx: pad.l + i * bw + bw / 2, cy: pad.t + h - (h * Math.max(0, p.y)) / maxL, r: 3.5, fill: lineColor, class: 'line-point' });
      c.append(el('title', {}, `${p.x}: ${p.y}`));
      svg.append(c);
    });
    if (!sameAxis) for (let i = 0; i <= 4; i++) svg.append(el('text', { x: pad.l + w + 6, y: pad.t + h - (h * i) / 4 + 4, fill: lineColor, 'font-size': 11 }, fmtShort((maxL * i) / 4)));
    if (lineLabel) svg.append(el('text', { x: width - 4, y: 12, 'text-anchor': 'end', fill: lineColor, 'font-size': 11 }, lineLabel));
  }
  return svg;
}

export function fmtShort(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  if (a > 0 && a < 0.1) return `${+v.toPrecision(2)}`; // small ratios keep two significant digits
  return `${+v.toFixed(2)}`;
}
