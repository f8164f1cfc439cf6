// Protobuf messages <-> the JSON the Cosmos SDK writes (genesis files, REST): snake_case field
// names, 64-bit integers as decimal strings, bytes as base64, enums by name, Any as
// {"@type": url, ...fields}, Timestamp as RFC 3339 and Duration as "<seconds>s". Also the
// canonical encoder state is written with: proto3 defaults omitted, so equal values always give
// equal bytes (protobufjs writes any field that is set, zeros included).
import protobuf from 'protobufjs';
import { root } from './proto.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

const LONG_TYPES = new Set(['uint64', 'int64', 'sint64', 'fixed64', 'sfixed64']);

export const snakeCase = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
export const camelCase = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function longString(v: unknown): string {
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string') return BigInt(v).toString();
  const l = v as { low: number; high: number; unsigned?: boolean; toString(): string };
  return l.toString();
}

function isZeroLong(v: unknown): boolean {
  if (typeof v === 'bigint') return v === 0n;
  if (typeof v === 'number') return v === 0;
  if (typeof v === 'string') return v === '' || BigInt(v) === 0n;
  const l = v as { low?: number; high?: number };
  return !l.low && !l.high;
}

function bytesOf(v: unknown): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  return v as Uint8Array;
}

/** RFC 3339 with trailing zeros of the fraction trimmed, as Go's time.RFC3339Nano prints. */
export function timestampToJson(t: { seconds: unknown; nanos?: number | null }): string {
  const seconds = BigInt(longString(t.seconds ?? 0));
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const nanos = t.nanos ?? 0;
  if (!nanos) return `${base}Z`;
  return `${base}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
}

export function timestampFromJson(s: string): { seconds: string; nanos: number } {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(s);
  if (!m) throw new Error(`invalid RFC 3339 UTC time ${JSON.stringify(s)}`);
  const ms = Date.parse(m[1]! + 'Z');
  if (Number.isNaN(ms)) throw new Error(`invalid time ${JSON.stringify(s)}`);
  return { seconds: String(ms / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

function durationToJson(d: { seconds: unknown; nanos?: number | null }): string {
  const s = longString(d.seconds ?? 0);
  const n = d.nanos ?? 0;
  return n ? `${s}.${String(Math.abs(n)).padStart(9, '0').replace(/0+$/, '')}s` : `${s}s`;
}

function durationFromJson(s: string): { seconds: string; nanos: number } {
  const m = /^(-?\d+)(?:\.(\d{1,9}))?s$/.exec(s);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(s)} (expected e.g. "3600s")`);
  return { seconds: m[1]!, nanos: Number((m[2] ?? '').padEnd(9, '0')) * (m[1]!.startsWith('-') ? -1 : 1) };
}

function fieldToJson(field: protobuf.Field, v: unknown): Json {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return messageToJson(rt, v as Obj);
  if (rt instanceof protobuf.Enum) return (rt.valuesById[v as number] ?? (v as number)) as Json;
  if (LONG_TYPES.has(field.type)) return longString(v);
  if (field.type === 'bytes') return Buffer.from(bytesOf(v)).toString('base64');
  return v as Json;
}

function defaultToJson(field: protobuf.Field): Json {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return null;
  if (rt instanceof protobuf.Enum) return rt.valuesById[0] ?? 0;
  if (LONG_TYPES.has(field.type)) return '0';
  switch (field.type) {
    case 'bytes':
    case 'string':
      return '';
    case 'bool':
      return false;
    default:
      return 0;
  }
}

/** One message in the Cosmos JSON form; unset fields are emitted with their defaults. */
export function messageToJson(type: protobuf.Type, msg: Obj): Json {
  switch (type.fullName) {
    case '.google.protobuf.Any': {
      const any = msg as { typeUrl: string; value: Uint8Array };
      const inner = root.lookupType(any.typeUrl.replace(/^\//, ''));
      return { '@type': any.typeUrl, ...(messageToJson(inner, inner.decode(any.value) as unknown as Obj) as Obj) } as Json;
    }
    case '.google.protobuf.Timestamp':
      return timestampToJson(msg as never);
    case '.google.protobuf.Duration':
      return durationToJson(msg as never);
  }
  const out: Record<string, Json> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const v = msg[field.name];
    const key = snakeCase(field.name);
    if (field.repeated) out[key] = ((v as unknown[]) ?? []).map((x) => fieldToJson(field, x));
    else if (v === undefined || v === null) out[key] = defaultToJson(field);
    else out[key] = fieldToJson(field, v);
  }
  return out;
}

function fieldFromJson(field: protobuf.Field, v: unknown): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return messageFromJson(rt, v as Json);
  if (rt instanceof protobuf.Enum) {
    if (typeof v === 'string') {
      const n = rt.values[v];
      if (n === undefined) throw new Error(`${field.fullName}: unknown enum value ${JSON.stringify(v)}`);
      return n;
    }
    return v;
  }
  if (LONG_TYPES.has(field.type)) return v === '' ? '0' : String(v);
  if (field.type === 'bytes') return typeof v === 'string' ? Buffer.from(v, 'base64') : v;
  return v;
}

/** Parses the Cosmos JSON form into a plain camelCase object ready for `encodeCanonical`. */
export function messageFromJson(type: protobuf.Type, json: Json): Obj | null {
  if (json === null || json === undefined) return null;
  switch (type.fullName) {
    case '.google.protobuf.Any': {
      const { '@type': url, ...rest } = json as Record<string, Json>;
      if (typeof url !== 'string') throw new Error('Any: missing "@type"');
      const inner = root.lookupType(url.replace(/^\//, ''));
      return { typeUrl: url, value: encodeCanonical(inner, messageFromJson(inner, rest)!) };
    }
    case '.google.protobuf.Timestamp':
      return timestampFromJson(json as string);
    case '.google.protobuf.Duration':
      return durationFromJson(json as string);
  }
  if (typeof json !== 'object' || Array.isArray(json)) throw new Error(`${type.fullName}: JSON object expected`);
  const out: Obj = {};
  const byName = new Map(type.fieldsArray.map((f) => [snakeCase(f.name), f]));
  for (const [k, v] of Object.entries(json)) {
    const field = byName.get(k) ?? type.fields[camelCase(k)];
    if (!field) throw new Error(`${type.fullName}: unknown field ${JSON.stringify(k)}`);
    field.resolve();
    if (v === null || v === undefined) continue;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new Error(`${field.fullName}: array expected`);
      out[field.name] = v.map((x) => fieldFromJson(field, x));
    } else out[field.name] = fieldFromJson(field, v);
  }
  return out;
}

function isDefault(field: protobuf.Field, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (field.repeated) return (v as unknown[]).length === 0;
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return false; // a present sub-message is encoded even if empty
  if (rt instanceof protobuf.Enum) return v === 0 || (typeof v === 'string' && rt.values[v] === 0);
  if (LONG_TYPES.has(field.type)) return isZeroLong(v);
  switch (field.type) {
    case 'bytes':
      return bytesOf(v).length === 0;
    case 'string':
      return v === '';
    case 'bool':
      return v === false;
    default:
      return v === 0;
  }
}

function stripDefaults(type: protobuf.Type, msg: Obj): Obj {
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const v = msg[field.name];
    if (isDefault(field, v)) continue;
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) out[field.name] = field.repeated ? (v as Obj[]).map((x) => stripDefaults(rt, x)) : stripDefaults(rt, v as Obj);
    else out[field.name] = typeof v === 'bigint' ? v.toString() : field.repeated && LONG_TYPES.has(field.type) ? (v as unknown[]).map((x) => (typeof x === 'bigint' ? x.toString() : x)) : v;
  }
  return out;
}

/** Encodes with proto3 defaults left out (as the Go and CosmJS encoders do); accepts bigint,
 * Long, number or decimal-string 64-bit values and enum names or numbers. */
export function encodeCanonical(type: protobuf.Type, msg: Obj): Uint8Array {
  return type.encode(type.fromObject(stripDefaults(type, msg))).finish();
}
