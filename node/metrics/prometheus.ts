// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text
// exposition format (version 0.0.4). No dependency: the format is a few lines of text.

type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelKey(names: readonly string[], labels: Labels): string {
  for (const k of Object.keys(labels)) if (!names.includes(k)) throw new Error(`unknown label ${k} (declared: ${names.join(', ')})`);
  return names.map((n) => labels[n] ?? '').join('\u0000');
}

function renderLabels(names: readonly string[], key: string, extra?: [string, string]): string {
  const values = key === '' && names.length === 0 ? [] : key.split('\u0000');
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

const num = (v: number): string => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

interface Metric {
  readonly name: string;
  render(): string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

abstract class Base implements Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: string;
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }
  protected header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
  }
  abstract render(): string;
}

export class Counter extends Base {
  readonly type = 'counter';
  private readonly values = new Map<string, number>();
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error('a counter only goes up');
    const k = labelKey(this.labelNames, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }
  render(): string {
    let out = this.header();
    if (this.values.size === 0 && this.labelNames.length === 0) out += `${this.name} 0\n`;
    for (const [k, v] of this.values) out += `${this.name}${renderLabels(this.labelNames, k)} ${num(v)}\n`;
    return out;
  }
}

export class Gauge extends Base {
  readonly type = 'gauge';
  private readonly values = new Map<string, number>();
  private readonly collect: (() => number) | undefined;
  /** `collect`: read the value at scrape time (unlabelled gauges only). */
  constructor(name: string, help: string, labelNames: readonly string[] = [], collect?: () => number) {
    super(name, help, labelNames);
    this.collect = collect;
  }
  set(v: number, labels: Labels = {}): void {
    this.values.set(labelKey(this.labelNames, labels), v);
  }
  get(labels: Labels = {}): number | undefined {
    if (this.collect) return this.collect();
    return this.values.get(labelKey(this.labelNames, labels));
  }
  render(): string {
    let out = this.header();
    if (this.collect) return out + `${this.name} ${num(this.collect())}\n`;
    for (const [k, v] of this.values) out += `${this.name}${renderLabels(this.labelNames, k)} ${num(v)}\n`;
    return out;
  }
}

export class Histogram extends Base {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  observe(v: number, labels: Labels = {}): void {
    const k = labelKey(this.labelNames, labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  count(labels: Labels = {}): number {
    return this.series.get(labelKey(this.labelNames, labels))?.count ?? 0;
  }
  render(): string {
    let out = this.header();
    const series = this.series.size === 0 && this.labelNames.length === 0 ? new Map([['', { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 }]]) : this.series;
    for (const [k, s] of series) {
      this.buckets.forEach((b, i) => (out += `${this.name}_bucket${renderLabels(this.labelNames, k, ['le', num(b)])} ${s.counts[i]}\n`));
      out += `${this.name}_bucket${renderLabels(this.labelNames, k, ['le', '+Inf'])} ${s.count}\n`;
      out += `${this.name}_sum${renderLabels(this.labelNames, k)} ${num(s.sum)}\n`;
      out += `${this.name}_count${renderLabels(this.labelNames, k)} ${s.count}\n`;
    }
    return out;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();
  register<M extends Metric>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }
  counter(name: string, help: string, labels: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labels));
  }
  gauge(name: string, help: string, labels: readonly string[] = [], collect?: () => number): Gauge {
    return this.register(new Gauge(name, help, labels, collect));
  }
  histogram(name: string, help: string, buckets: readonly number[], labels: readonly string[] = []): Histogram {
    return this.register(new Histogram(name, help, buckets, labels));
  }
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('');
  }
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Parses the text exposition format into samples (tests, tools). */
export function parseExposition(text: string): { name: string; labels: Labels; value: number }[] {
  const out: { name: string; labels: Labels; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`bad exposition line ${JSON.stringify(line)}`);
    const labels: Labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/g;
      let lm: RegExpExecArray | null;
      let consumed = 0;
      while ((lm = re.exec(m[3]))) {
        labels[lm[1]!] = lm[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed = re.lastIndex;
      }
      if (consumed !== m[3].length) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    }
    const v = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (Number.isNaN(v) && m[4] !== 'NaN') throw new Error(`bad value in ${JSON.stringify(line)}`);
    out.push({ name: m[1]!, labels, value: v });
  }
  return out;
}
