// Offline generator of the integer free-space path-loss table used by the coverage witness RSSI
// check (modules/proofs/coverage/fspl.ts). Floating point is fine HERE: the chain never runs this;
// it uses the committed integers. `npx node scripts/fspl-table.ts` prints the table;
// modules/proofs/coverage.test.ts regenerates it and requires the committed copy to match.
//
// FSPL(dB) = 20·log10(d / m) + 20·log10(f / MHz) − 27.55
// Each entry is a LOWER bound of the path loss for every pair of devices in its bucket, so the RSSI
// bound it yields (EIRP + gain − FSPL) is generous to honest witnesses:
//   - distance: the bucket's smallest res-11 grid distance K, converted to metres as 30·K − 40
//     (measured minimum centre spacing of res-11 cells 31.2 m per step, minus two res-12 cell radii
//     for devices anywhere inside their cells; at least 1 m);
//   - frequency: the band's lowest frequency;
//   - rounding: down, in tenths of a dB.

/** Lower bounds (MHz) of the frequency bands; a frequency uses the largest bound <= it. */
export const BAND_MHZ = [400, 430, 470, 860, 902, 915, 920, 2400, 5150] as const;

/** Lower bounds of the res-11 grid-distance buckets; a distance uses the largest bound <= it. */
export const DISTANCE_BUCKETS = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 25, 32, 40, 50, 64, 80, 100, 125, 160, 200, 250, 320, 400, 500, 640, 800, 1000, 1250, 1600, 2000, 2500, 3200] as const;

export const METRES_PER_STEP = 30;
export const METRES_OFFSET = 40;

export function lowerBoundMetres(k: number): number {
  return Math.max(1, METRES_PER_STEP * k - METRES_OFFSET);
}

export function fsplDb10(metres: number, mhz: number): number {
  return Math.floor(10 * (20 * Math.log10(metres) + 20 * Math.log10(mhz) - 27.55));
}

export function generate(): number[][] {
  return BAND_MHZ.map((f) => DISTANCE_BUCKETS.map((k) => fsplDb10(lowerBoundMetres(k), f)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = generate().map((r, i) => `  /* ${String(BAND_MHZ[i]).padStart(4)} MHz */ [${r.join(', ')}],`);
  console.log(`export const FSPL_DB10: readonly (readonly number[])[] = [\n${rows.join('\n')}\n];`);
}
