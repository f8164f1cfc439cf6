// Charges gas for every store access a transaction makes (flat + per byte), like the Cosmos SDK's
// gaskv store, so gas usage is a deterministic function of what the tx touched.
import { KV_GAS, type GasMeter } from '../gas.ts';
import type { Bytes, KVStore } from './kv.ts';

export class GasKV implements KVStore {
  readonly parent: KVStore;
  readonly meter: GasMeter;

  constructor(parent: KVStore, meter: GasMeter) {
    this.parent = parent;
    this.meter = meter;
  }

  get(key: Bytes): Bytes | undefined {
    this.meter.consume(KV_GAS.readCostFlat, 'ReadFlat');
    const v = this.parent.get(key);
    this.meter.consume(KV_GAS.readCostPerByte * (key.length + (v?.length ?? 0)), 'ReadPerByte');
    return v;
  }

  has(key: Bytes): boolean {
    this.meter.consume(KV_GAS.hasCost, 'Has');
    return this.parent.has(key);
  }

  set(key: Bytes, value: Bytes): void {
    this.meter.consume(KV_GAS.writeCostFlat, 'WriteFlat');
    this.meter.consume(KV_GAS.writeCostPerByte * (key.length + value.length), 'WritePerByte');
    this.parent.set(key, value);
  }

  delete(key: Bytes): void {
    this.meter.consume(KV_GAS.deleteCost, 'Delete');
    this.parent.delete(key);
  }

  *iterator(start: Bytes | undefined, end: Bytes | undefined, reverse = false): IterableIterator<[Bytes, Bytes]> {
    for (const [k, v] of this.parent.iterator(start, end, reverse)) {
      this.meter.consume(KV_GAS.iterNextCostFlat, 'IterNextFlat');
      this.meter.consume(KV_GAS.readCostPerByte * (k.length + v.length), 'ValuePerByte');
      yield [k, v];
    }
  }
}
