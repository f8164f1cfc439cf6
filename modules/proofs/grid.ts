// H3 grid distance for the state machine. h3-js (pinned 4.5.0) is Uber's C library compiled to
// WebAssembly by emscripten; gridDistance works on integer IJK coordinates (no trigonometry), so
// its result is the same on every engine. We never call h3-js functions that take or return
// latitude/longitude here. grid.test.ts checks it against a recorded fixture, so an upgrade that
// changed any answer would fail the tests.
import * as h3 from 'h3-js';
import { cellToParent, cellToString, isValidCell, resolutionOf } from '../devices/h3.ts';

/** Grid distance between two cells of the same resolution, or undefined when H3 cannot compute
 * it (too far apart, or the path crosses pentagon distortion). */
export function gridDistance(a: bigint, b: bigint): number | undefined {
  if (a === b) return 0;
  try {
    const d = h3.gridDistance(cellToString(a), cellToString(b));
    return Number.isSafeInteger(d) && d >= 0 ? d : undefined;
  } catch {
    return undefined;
  }
}

/** Grid distance of two resolution-12 cells measured at a coarser resolution (their ancestors). */
export function gridDistanceAt(a: bigint, b: bigint, res: number): number | undefined {
  return gridDistance(cellToParent(a, res), cellToParent(b, res));
}

export const LOCATION_RESOLUTION = 12;
/** Witness separation is measured between res-11 ancestors (Helium oracles). */
export const SEPARATION_RESOLUTION = 11;

export function isLocationCell(cell: bigint): boolean {
  return isValidCell(cell) && resolutionOf(cell) === LOCATION_RESOLUTION;
}
