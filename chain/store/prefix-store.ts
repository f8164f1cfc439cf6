// A view of a KVStore under a key prefix: each module sees only its own keyspace.
import { prefixEnd, type Bytes, type KVStore } from './kv.ts';

function concat(a: Bytes, b: Bytes): Bytes {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class PrefixStore implements KVStore {
  readonly parent: KVStore;
  readonly prefix: Bytes;

  constructor(parent: KVStore, prefix: Bytes) {
    this.parent = parent;
    this.prefix = prefix;
  }

  get(key: Bytes): Bytes | undefined {
    return this.parent.get(concat(this.prefix, key));
  }

  has(key: Bytes): boolean {
    return this.parent.has(concat(this.prefix, key));
  }

  set(key: Bytes, value: Bytes): void {
    this.parent.set(concat(this.prefix, key), value);
  }

  delete(key: Bytes): void {
    this.parent.delete(concat(this.prefix, key));
  }

  *iterator(start: Bytes | undefined, end: Bytes | undefined, reverse = false): IterableIterator<[Bytes, Bytes]> {
    const s = concat(this.prefix, start ?? new Uint8Array());
    const e = end ? concat(this.prefix, end) : prefixEnd(this.prefix);
    const n = this.prefix.length;
    for (const [k, v] of this.parent.iterator(s, e, reverse)) yield [k.subarray(n), v];
  }
}
