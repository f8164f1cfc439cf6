// A view of a KVStore under a key prefix: each module sees only its own keyspace.
import { prefixEnd, type Bytes, type KVStore } from './kv.ts';
import { latin1 } from './smt-hash.ts';

function concat(a: Bytes, b: Bytes): Bytes {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class PrefixStore implements KVStore {
  readonly parent: KVStore;
  readonly prefix: Bytes;
  private readonly prefixS: string;

  constructor(parent: KVStore, prefix: Bytes) {
    this.parent = parent;
    this.prefix = prefix;
    this.prefixS = latin1(prefix);
  }

  get(key: Bytes): Bytes | undefined {
    return this.parent.getS(this.prefixS + latin1(key));
  }

  has(key: Bytes): boolean {
    return this.parent.hasS(this.prefixS + latin1(key));
  }

  set(key: Bytes, value: Bytes): void {
    this.parent.setS(this.prefixS + latin1(key), value);
  }

  delete(key: Bytes): void {
    this.parent.deleteS(this.prefixS + latin1(key));
  }

  getS(key: string): Bytes | undefined {
    return this.parent.getS(this.prefixS + key);
  }

  hasS(key: string): boolean {
    return this.parent.hasS(this.prefixS + key);
  }

  setS(key: string, value: Bytes): void {
    this.parent.setS(this.prefixS + key, value);
  }

  deleteS(key: string): void {
    this.parent.deleteS(this.prefixS + key);
  }

  *iterator(start: Bytes | undefined, end: Bytes | undefined, reverse = false): IterableIterator<[Bytes, Bytes]> {
    const s = concat(this.prefix, start ?? new Uint8Array());
    const e = end ? concat(this.prefix, end) : prefixEnd(this.prefix);
    const n = this.prefix.length;
    for (const [k, v] of this.parent.iterator(s, e, reverse)) yield [k.subarray(n), v];
  }
}
