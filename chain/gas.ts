// Deterministic gas metering. Gas is a counter, not a token amount, and is kept as a JS number:
// every limit is capped at MAX_GAS (< 2^53), so arithmetic on it is exact. Fees derived from gas
// are computed in bigint (see chain/coins.ts).
import { ErrOutOfGas } from './errors.ts';

export const MAX_GAS = 100_000_000_000; // far below 2^53; tx gas limits above it are rejected

/** KV gas costs, the Cosmos SDK's defaults (store/types/gas.go KVGasConfig). */
export const KV_GAS = {
  hasCost: 1000,
  deleteCost: 1000,
  readCostFlat: 1000,
  readCostPerByte: 3,
  writeCostFlat: 2000,
  writeCostPerByte: 30,
  iterNextCostFlat: 30,
} as const;

export class GasMeter {
  readonly limit: number;
  consumed = 0;

  /** limit = Infinity for an unmetered context (genesis, begin/end block, simulation). */
  constructor(limit: number) {
    this.limit = limit;
  }

  consume(amount: number, descriptor: string): void {
    this.consumed += amount;
    if (this.consumed > this.limit) {
      throw ErrOutOfGas.wrap(`out of gas in location: ${descriptor}; gasWanted: ${this.limit}, gasUsed: ${this.consumed}`);
    }
  }

  remaining(): number {
    return Math.max(0, this.limit - this.consumed);
  }
}
