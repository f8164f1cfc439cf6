// The CometBFT event query language used by tx_search and websocket subscriptions:
//   cond AND cond ...   with   key = 'text' | key = 5 | key < 5 | <= | > | >= | key CONTAINS 'x' | key EXISTS
// and the TIME 2006-01-02T15:04:05Z / DATE 2006-01-02 operands. Numbers compare exactly as
// decimals (never through floating point).

export type Op = '=' | '<' | '<=' | '>' | '>=' | 'CONTAINS' | 'EXISTS';

export type Operand =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'time'; value: string; ns: bigint };

export interface Condition {
  key: string;
  op: Op;
  operand?: Operand;
}

export interface Query {
  source: string;
  conditions: Condition[];
}

export class QueryError extends Error {}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.\-/]*/;

export function parseQuery(q: string): Query {
  const s = q.trim();
  if (s === '') throw new QueryError('empty query');
  const conditions: Condition[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new QueryError(`${msg} at position ${i} in ${JSON.stringify(q)}`);
  };
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  for (;;) {
    ws();
    const km = KEY_RE.exec(s.slice(i));
    if (!km) fail('expected an event key such as tx.height or message.sender');
    const key = km![0];
    i += key.length;
    ws();
    let op: Op | undefined;
    for (const cand of ['<=', '>=', '=', '<', '>'] as const) {
      if (s.startsWith(cand, i)) {
        op = cand;
        i += cand.length;
        break;
      }
    }
    if (!op) {
      const word = /^[A-Za-z]+/.exec(s.slice(i))?.[0]?.toUpperCase();
      if (word === 'CONTAINS' || word === 'EXISTS') {
        op = word;
        i += word.length;
      } else fail(`expected an operator (=, <, <=, >, >=, CONTAINS, EXISTS) after ${key}`);
    }
    let operand: Operand | undefined;
    if (op !== 'EXISTS') {
      ws();
      operand = parseOperand();
      if (op === 'CONTAINS' && operand.kind !== 'string') fail('CONTAINS needs a quoted string');
    }
    conditions.push({ key, op: op!, operand });
    ws();
    if (i >= s.length) break;
    const and = /^AND\b/i.exec(s.slice(i));
    if (!and) fail('expected AND');
    i += 3;
  }
  return { source: q, conditions };

  function parseOperand(): Operand {
    if (s[i] === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) fail('unterminated string');
      const value = s.slice(i + 1, end);
      i = end + 1;
      return { kind: 'string', value };
    }
    const tm = /^(TIME|DATE)\s+(\S+)/i.exec(s.slice(i));
    if (tm) {
      i += tm[0].length;
      const text = tm[1]!.toUpperCase() === 'DATE' ? `${tm[2]}T00:00:00Z` : tm[2]!;
      const ns = parseTimeNs(text);
      if (ns === undefined) fail(`invalid ${tm[1]} ${tm[2]}`);
      return { kind: 'time', value: tm[2]!, ns: ns! };
    }
    const nm = /^-?[0-9]+(\.[0-9]+)?/.exec(s.slice(i));
    if (nm) {
      i += nm[0].length;
      return { kind: 'number', value: nm[0] };
    }
    return fail('expected a quoted string, a number, TIME or DATE');
  }
}

/** RFC3339 to nanoseconds since the epoch (exact), or undefined. */
export function parseTimeNs(t: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(t);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Exact comparison of two decimal strings: -1, 0, 1; undefined if either is not a number. */
export function compareDecimal(a: string, b: string): number | undefined {
  const re = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;
  const ma = re.exec(a.trim());
  const mb = re.exec(b);
  if (!ma || !mb) return undefined;
  const scale = Math.max(ma[3]?.length ?? 0, mb[3]?.length ?? 0);
  const toInt = (m: RegExpExecArray) => (m[1] ? -1n : 1n) * BigInt(m[2]! + (m[3] ?? '').padEnd(scale, '0'));
  const x = toInt(ma);
  const y = toInt(mb);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function matchValue(c: Condition, value: string): boolean {
  if (c.op === 'EXISTS') return true;
  const o = c.operand!;
  if (c.op === 'CONTAINS') return value.includes(o.value);
  let cmp: number | undefined;
  if (o.kind === 'string') cmp = value === o.value ? 0 : value < o.value ? -1 : 1;
  else if (o.kind === 'number') cmp = compareDecimal(value, o.value);
  else {
    const ns = parseTimeNs(value);
    cmp = ns === undefined ? undefined : ns < o.ns ? -1 : ns > o.ns ? 1 : 0;
  }
  if (cmp === undefined) return false;
  switch (c.op) {
    case '=':
      return cmp === 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
  }
}

/** True if every condition is met by at least one value of its key. */
export function matchEvents(q: Query, events: Map<string, string[]>): boolean {
  for (const c of q.conditions) {
    const values = events.get(c.key);
    if (!values || !values.some((v) => matchValue(c, v))) return false;
  }
  return true;
}

/** ABCI events as queries see them: "type.key" -> values, plus the implicit keys given in `base`
 * (tm.event, tx.hash, tx.height). */
export function flattenEvents(events: readonly { type: string; attributes: readonly { key: string; value: string }[] }[], base: Record<string, string>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [k, v] of Object.entries(base)) m.set(k, [v]);
  for (const e of events) {
    for (const a of e.attributes) {
      const key = `${e.type}.${a.key}`;
      const list = m.get(key);
      if (list) list.push(a.value);
      else m.set(key, [a.value]);
    }
  }
  return m;
}
