// The rewards records' direct encoder (ProtoWriter, driven by each record's field plan) against
// the protobufjs path it replaced, on generated records of every type: the same bytes, so the
// same app hash. Also the values the direct encoder refuses (a bool given as 1, a uint64 as '00',
// bytes as a string), which must fall back to protobufjs and still give its bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import fc from 'fast-check';
import { R, TEXT_FIELDS, type RecordCodec } from './types.ts';

const LONG = new Set(['uint64', 'int64', 'sint64', 'fixed64', 'sfixed64']);
const arbs = new Map<protobuf.Type, fc.Arbitrary<Record<string, unknown>>>();

function valueArb(f: protobuf.Field): fc.Arbitrary<unknown> {
  f.resolve();
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Type) return recordArb(rt);
  if (rt instanceof protobuf.Enum) return fc.constantFrom(...Object.values(rt.values));
  if (LONG.has(f.type)) {
    return f.type === 'uint64'
      ? fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
      : fc.oneof(fc.constant(0n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
  }
  if (f.type === 'string') {
    return TEXT_FIELDS.has(f.name)
      ? fc.oneof(fc.constant(''), fc.string({ maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }))
      : fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 40n }));
  }
  if (f.type === 'bytes') return fc.uint8Array({ maxLength: 40 });
  if (f.type === 'bool') return fc.boolean();
  return fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
}

function recordArb(t: protobuf.Type): fc.Arbitrary<Record<string, unknown>> {
  let a = arbs.get(t);
  if (a) return a;
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of t.fieldsArray) {
    const v = valueArb(f);
    shape[f.name] = f.repeated ? fc.array(v, { maxLength: 4 }) : f.resolvedType instanceof protobuf.Type ? fc.option(v, { nil: null }) : v;
  }
  a = fc.record(shape);
  arbs.set(t, a);
  return a;
}

test('every rewards record encodes to the bytes protobufjs gives, and decodes back the same', () => {
  for (const [name, c] of Object.entries(R) as [string, RecordCodec<unknown>][]) {
    fc.assert(fc.property(recordArb(c.type), (v) => {
      const direct = Buffer.from(c.encode(v));
      assert.deepEqual(direct, Buffer.from(c.encodeReflective(v)), name);
      assert.deepEqual(c.decode(direct), c.decode(c.encodeReflective(v)), name);
    }), { numRuns: 150 });
  }
});

test('values the direct encoder will not write take the protobufjs path', () => {
  const e = { ...R.DeviceEpoch.decode(new Uint8Array()), deviceId: 7n, units: 5n, reasons: [{ reason: 3, count: 2n }] };
  for (const odd of [{ counted: 1 }, { epoch: "00" }, { epoch: 1.5 }, { sector: -1 }, { owner: 42 }, { units: "" }, { proofsValid: -3n }] as Record<string, unknown>[]) {
    const label = Object.entries(odd).map(([k, x]) => `${k}=${String(x)}`).join();
    const v = { ...e, ...odd } as never;
    let ref: Buffer | Error;
    try {
      ref = Buffer.from(R.DeviceEpoch.encodeReflective(v));
    } catch (err) {
      ref = err as Error;
    }
    if (ref instanceof Error) assert.throws(() => R.DeviceEpoch.encode(v), `${label}: protobufjs refuses it, so must encode()`);
    else assert.deepEqual(Buffer.from(R.DeviceEpoch.encode(v)), ref, label);
  }
  // Packed repeated uint32 (Params.location_sectors) and repeated messages.
  const p = R.Params.decode(new Uint8Array());
  const withSectors = { ...p, locationSectors: [1, 4, 300], sectorShares: [{ sector: 1, bps: 5000 }, { sector: 0, bps: 0 }] };
  assert.deepEqual(Buffer.from(R.Params.encode(withSectors)), Buffer.from(R.Params.encodeReflective(withSectors)));
});
