// The simulated world: real city centres, devices placed around them and located with real H3
// cells (h3-js, client side: the generator converts latitude/longitude to resolution-12 cells the
// way the device SDK does; the state machine only ever sees the integer cells). Each city has its
// LoRaWAN region, so coverage devices beacon on a legal frequency and power.
import { latLngToCell } from '../sdk/location.ts';
import { gridDistanceAt, SEPARATION_RESOLUTION } from '../modules/proofs/grid.ts';

export interface City {
  name: string;
  lat: number;
  lng: number;
  /** proofs region id (1 EU868, 2 US915, 3 AS923, 4 AU915, 7 IN865, 8 KR920). */
  region: number;
}

export const CITIES: readonly City[] = [
  { name: 'Berlin', lat: 52.52, lng: 13.405, region: 1 },
  { name: 'Paris', lat: 48.8566, lng: 2.3522, region: 1 },
  { name: 'London', lat: 51.5074, lng: -0.1278, region: 1 },
  { name: 'Madrid', lat: 40.4168, lng: -3.7038, region: 1 },
  { name: 'Rome', lat: 41.9028, lng: 12.4964, region: 1 },
  { name: 'Amsterdam', lat: 52.3676, lng: 4.9041, region: 1 },
  { name: 'Warsaw', lat: 52.2297, lng: 21.0122, region: 1 },
  { name: 'Lisbon', lat: 38.7223, lng: -9.1393, region: 1 },
  { name: 'Stockholm', lat: 59.3293, lng: 18.0686, region: 1 },
  { name: 'Lagos', lat: 6.5244, lng: 3.3792, region: 1 },
  { name: 'Nairobi', lat: -1.2921, lng: 36.8219, region: 1 },
  { name: 'New York', lat: 40.7128, lng: -74.006, region: 2 },
  { name: 'Los Angeles', lat: 34.0522, lng: -118.2437, region: 2 },
  { name: 'Chicago', lat: 41.8781, lng: -87.6298, region: 2 },
  { name: 'Austin', lat: 30.2672, lng: -97.7431, region: 2 },
  { name: 'Miami', lat: 25.7617, lng: -80.1918, region: 2 },
  { name: 'Toronto', lat: 43.6532, lng: -79.3832, region: 2 },
  { name: 'Mexico City', lat: 19.4326, lng: -99.1332, region: 2 },
  { name: 'Sao Paulo', lat: -23.5505, lng: -46.6333, region: 4 },
  { name: 'Buenos Aires', lat: -34.6037, lng: -58.3816, region: 4 },
  { name: 'Tokyo', lat: 35.6762, lng: 139.6503, region: 3 },
  { name: 'Singapore', lat: 1.3521, lng: 103.8198, region: 3 },
  { name: 'Bangkok', lat: 13.7563, lng: 100.5018, region: 3 },
  { name: 'Taipei', lat: 25.033, lng: 121.5654, region: 3 },
  { name: 'Seoul', lat: 37.5665, lng: 126.978, region: 8 },
  { name: 'Mumbai', lat: 19.076, lng: 72.8777, region: 7 },
  { name: 'Bangalore', lat: 12.9716, lng: 77.5946, region: 7 },
  { name: 'Sydney', lat: -33.8688, lng: 151.2093, region: 4 },
  { name: 'Melbourne', lat: -37.8136, lng: 144.9631, region: 4 },
  { name: 'Auckland', lat: -36.8485, lng: 174.7633, region: 4 },
];

/** A radio plan per region: a channel inside the band, transmit power and antenna gain whose EIRP
 * is within the region's limit. */
export const RADIO: Record<number, { frequencyKhz: number; txPowerDbm10: number; antennaGainDbi10: number; dataRate: number }> = {
  1: { frequencyKhz: 868_100, txPowerDbm10: 140, antennaGainDbi10: 20, dataRate: 5 },
  2: { frequencyKhz: 903_900, txPowerDbm10: 200, antennaGainDbi10: 30, dataRate: 3 },
  3: { frequencyKhz: 923_200, txPowerDbm10: 130, antennaGainDbi10: 20, dataRate: 5 },
  4: { frequencyKhz: 916_800, txPowerDbm10: 200, antennaGainDbi10: 30, dataRate: 3 },
  7: { frequencyKhz: 865_062, txPowerDbm10: 200, antennaGainDbi10: 30, dataRate: 5 },
  8: { frequencyKhz: 922_100, txPowerDbm10: 120, antennaGainDbi10: 20, dataRate: 5 },
};

export interface Place {
  city: number;
  lat: number;
  lng: number;
  cell: bigint;
}

const M_PER_DEG = 111_320;

/** The point `north` / `east` metres from a city centre, and its resolution-12 cell. */
export function placeNear(cityIndex: number, north: number, east: number, from?: { lat: number; lng: number }): Place {
  const c = from ?? CITIES[cityIndex]!;
  const lat = c.lat + north / M_PER_DEG;
  const lng = c.lng + east / (M_PER_DEG * Math.cos((c.lat * Math.PI) / 180));
  return { city: cityIndex, lat, lng, cell: latLngToCell(lat, lng) };
}

/** H3 grid distance of the resolution-11 ancestors, as the witness check measures it. */
export function separation(a: bigint, b: bigint): number | undefined {
  return gridDistanceAt(a, b, SEPARATION_RESOLUTION);
}
