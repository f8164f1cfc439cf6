// TopoJSON (world-atlas' Natural Earth land) to rings of [lng, lat]: delta-decoded, quantized
// arcs stitched into polygon rings. Only what the map needs.
export function topoRings(topology, objectName) {
  const [sx, sy] = topology.transform?.scale ?? [1, 1];
  const [tx, ty] = topology.transform?.translate ?? [0, 0];
  const arcs = topology.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map(([dx, dy]) => {
      x += dx; y += dy;
      return [x * sx + tx, y * sy + ty];
    });
  });
  const arcPoints = (i) => (i >= 0 ? arcs[i] : arcs[~i].slice().reverse());
  const ring = (ids) => {
    const out = [];
    ids.forEach((id, k) => {
      const pts = arcPoints(id);
      for (let j = k === 0 ? 0 : 1; j < pts.length; j++) out.push(pts[j]);
    });
    return out;
  };
  const rings = [];
  const geom = (g) => {
    if (g.type === 'GeometryCollection') g.geometries.forEach(geom);
    else if (g.type === 'Polygon') g.arcs.forEach((r) => rings.push(ring(r)));
    else if (g.type === 'MultiPolygon') g.arcs.forEach((p) => p.forEach((r) => rings.push(ring(r))));
  };
  geom(topology.objects[objectName]);
  return rings;
}
