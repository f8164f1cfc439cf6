// Client-side location helpers: latitude/longitude to the H3 cell (resolution 12) the chain
// stores. Floating point is fine here, off chain; the chain itself only sees the integer cell.
import * as h3 from 'h3-js';
import { LOCATION_RESOLUTION, cellToString } from '../modules/devices/h3.ts';

export function latLngToCell(lat: number, lng: number, resolution: number = LOCATION_RESOLUTION): bigint {
  return BigInt('0x' + h3.latLngToCell(lat, lng, resolution));
}

export function cellToLatLng(cell: bigint): [number, number] {
  return h3.cellToLatLng(cellToString(cell));
}

export { cellToString };
