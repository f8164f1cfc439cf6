// Charges gas for every store access a transaction makes (flat + per byte), like the Cosmos SDK's
// gaskv store, so gas usage is a deterministic function of what the tx touched.
import { KV_GAS, type GasMeter } from '../gas.ts';
import type { Bytes, KVStore } from './kv.ts';
import { latin1 } from './smt-hash.ts';

export class GasKV implements KVStore {
  readonly parent: KVStore;
  readonly meter: GasMeter;

  constructor(parent: KVStore, meter: GasMeter) {
    this.parent = parent;
    this.meter = meter;
  }

  get(key: Bytes): Bytes | undefined {
    return this.getS(latin1(key));
  }

  has(key: Bytes): boolean {
    return this.hasS(latin1(key));
  }

  set(key: Bytes, value: Bytes): void {
    this.setS(latin1(key), value);
  }

  delete(key: Bytes): void {
    this.deleteS(latin1(key));
  }

  // A latin1 key has one char per byte: k.length is the key's byte length.
  getS(k: string): Bytes | undefined {
    this.meter.consume(KV_GAS.readCostFlat, 'ReadFlat');
    const v = this.parent.getS(k);
    this.meter.consume(KV_GAS.readCostPerByte * (k.length + (v?.length ?? 0)), 'ReadPerByte');
    return v;
  }

  hasS(k: string): boolean {
    this.meter.consume(KV_GAS.hasCost, 'Has');
    return this.parent.hasS(k);
  }

  setS(k: string, value: Bytes): void {
    this.meter.consume(KV_GAS.writeCostFlat, 'WriteFlat');
    this.meter.consume(KV_GAS.writeCostPerByte * (k.length + value.length), 'WritePerByte');
    this.parent.setS(k, value);
  }

  deleteS(k: string): void {
    this.meter.consume(KV_GAS.deleteCost, 'Delete');
    this.parent.deleteS(k);
  }

  *iterator(start: Bytes | undefined, end: Bytes | undefined, reverse = false): IterableIterator<[Bytes, Bytes]> {
    for (const [k, v] of this.parent.iterator(start, end, reverse)) {
      this.meter.consume(KV_GAS.iterNextCostFlat, 'IterNextFlat');
      this.meter.consume(KV_GAS.readCostPerByte * (k.length + v.length), 'ValuePerByte');
      yield [k, v];
    }
  }
}
