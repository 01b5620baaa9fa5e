import { register as defaultRegistry, type Registry } from 'prom-client';

/**
 * Counters and histograms for per-request hot paths, exposed through prom-client's registry.
 *
 * Why not prom-client's own: its `inc`/`observe` validate the label set and build its hash string
 * on every call, even through a `labels()` child, which cost the router a few µs per response
 * for its six observations. Here a child is looked up once per label values (a nested Map, no
 * string built) and observing is a bucket search and two additions.
 *
 * They register with a prom-client `Registry` (the global one by default) the way prom-client's
 * metrics do: `get()` returns the same metric object (cumulative `_bucket` series with `le`,
 * `_sum`, `_count`; aggregator `sum`), so `/metrics`, the registry's default labels and the
 * cluster aggregator of HTTP workers treat them as prom-client metrics.
 */

interface MetricValue {
  readonly labels: Record<string, string | number>;
  /** The series' labels when `labels` holds only `le` (what prom-client's registry formats). */
  readonly sharedLabels?: Record<string, string>;
  readonly value: number;
  readonly metricName?: string;
}

interface MetricObject {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: MetricValue[];
}

interface HotMetricConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers?: readonly Registry[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

abstract class HotMetric<L extends string, C> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly labelNames: readonly L[];
  /** Children by their label values, one Map level per label (the last level holds the child). */
  private root = new Map<string, unknown>();
  protected readonly children: Array<{ readonly labels: Record<L, string>; readonly child: C }> = [];

  protected constructor(config: HotMetricConfig<L>) {
    if (!METRIC_NAME.test(config.name)) throw new Error(`Invalid metric name: ${config.name}`);
    for (const label of config.labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new Error(`Invalid label name: ${label}`);
    }
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    for (const registry of config.registers ?? [defaultRegistry]) registry.registerMetric(this as never);
  }

  /** The child for `values`, one per label name in order (made on first use). */
  labels(...values: string[]): C {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    let level = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (!next) {
        next = new Map();
        level.set(values[i]!, next);
      }
      level = next;
    }
    const key = last >= 0 ? values[last]! : '';
    let child = level.get(key) as C | undefined;
    if (!child) {
      child = this.newChild();
      level.set(key, child);
      const labels = {} as Record<L, string>;
      this.labelNames.forEach((name, i) => (labels[name] = String(values[i])));
      this.children.push({ labels, child });
    }
    return child;
  }

  /** Forgets every child (prom-client's `reset`). */
  reset(): void {
    this.root = new Map();
    this.children.length = 0;
  }

  protected abstract newChild(): C;
}

export class HotCounterChild {
  value = 0;

  inc(amount = 1): void {
    if (!(amount >= 0) || !Number.isFinite(amount)) throw new Error(`A counter only goes up by a finite amount; got ${amount}`);
    this.value += amount;
  }
}

/** A labelled counter (see the module comment). */
export class HotCounter<L extends string> extends HotMetric<L, HotCounterChild> {
  readonly type = 'counter' as const;

  constructor(config: HotMetricConfig<L>) {
    super(config);
  }

  protected newChild(): HotCounterChild {
    return new HotCounterChild();
  }

  get(): Promise<MetricObject> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.children.map(({ labels, child }) => ({ labels: { ...labels }, value: child.value })),
    });
  }
}

export class HotHistogramChild {
  sum = 0;
  count = 0;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: Float64Array;

  constructor(private readonly bounds: Float64Array) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

/** A labelled histogram (see the module comment); `buckets` are upper bounds, `+Inf` is added. */
export class HotHistogram<L extends string> extends HotMetric<L, HotHistogramChild> {
  readonly type = 'histogram' as const;
  private readonly bounds: Float64Array;

  constructor(config: HotMetricConfig<L> & { readonly buckets: readonly number[] }) {
    super(config);
    if ((config.labelNames as readonly string[]).includes('le')) throw new Error('le is a reserved label name for histograms');
    const sorted = [...config.buckets].sort((a, b) => a - b);
    if (sorted.some((bound, i) => !Number.isFinite(bound) || (i > 0 && bound === sorted[i - 1]))) throw new Error(`${config.name}: buckets must be distinct finite numbers`);
    this.bounds = Float64Array.from(sorted);
  }

  protected newChild(): HotHistogramChild {
    return new HotHistogramChild(this.bounds);
  }

  /** What the registry formats `/metrics` from: a series' own labels as `sharedLabels`, `le` apart (as prom-client's histogram). */
  getForPromString(): Promise<MetricObject> {
    return Promise.resolve(this.snapshot((le, labels) => ({ labels: le === undefined ? {} : { le }, sharedLabels: labels }) as Pick<MetricValue, 'labels' | 'sharedLabels'>));
  }

  get(): Promise<MetricObject> {
    return Promise.resolve(this.snapshot((le, labels) => ({ labels: le === undefined ? { ...labels } : { le, ...labels } })));
  }

  private snapshot(labelsOf: (le: number | '+Inf' | undefined, labels: Record<string, string>) => Pick<MetricValue, 'labels' | 'sharedLabels'>): MetricObject {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, child } of this.children) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += child.counts[i]!;
        values.push({ ...labelsOf(i < this.bounds.length ? this.bounds[i]! : '+Inf', labels), value: cumulative, metricName: bucket });
      }
      values.push({ ...labelsOf(undefined, labels), value: child.sum, metricName: `${this.name}_sum` });
      values.push({ ...labelsOf(undefined, labels), value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
