// The key/value interfaces every layer of state speaks: the committed Merkle store, the
// per-block and per-tx cache branches, and the gas-metered view handed to modules.
// Reads are synchronous on purpose: the state machine never awaits inside a transaction, so
// execution order (and therefore the app hash) cannot depend on I/O timing.

export type Bytes = Uint8Array;

export interface KVReader {
  get(key: Bytes): Bytes | undefined;
  has(key: Bytes): boolean;
  /**
   * The same lookups with the key as a latin1 string (one char per byte, so string order is byte
   * order). Every layer keys its maps by that string, so hot keepers that build their keys as
   * strings skip a byte-array allocation and a conversion per access at every level.
   */
  getS(key: string): Bytes | undefined;
  hasS(key: string): boolean;
  /**
   * Entries with start <= key < end in ascending byte order (descending when reverse).
   * `undefined` bounds are open. The iterator must be fully consumed or abandoned before
   * the store is written to.
   */
  iterator(start: Bytes | undefined, end: Bytes | undefined, reverse?: boolean): IterableIterator<[Bytes, Bytes]>;
}

export interface KVStore extends KVReader {
  set(key: Bytes, value: Bytes): void;
  delete(key: Bytes): void;
  setS(key: string, value: Bytes): void;
  deleteS(key: string): void;
}

/** A staged write: `undefined` value means delete. */
export type Write = [key: Bytes, value: Bytes | undefined];

/** Smallest key strictly greater than every key that starts with `prefix` (undefined = open end). */
export function prefixEnd(prefix: Bytes): Bytes | undefined {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

export function compareBytes(a: Bytes, b: Bytes): number {
  return Buffer.compare(a, b);
}
