import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-metrics';

/** The same metric from prom-client and from hot-metrics, each in a registry of its own with the same default labels. */
function registries(): [Registry, Registry] {
  const ours = new Registry();
  const theirs = new Registry();
  for (const registry of [ours, theirs]) registry.setDefaultLabels({ service: 'router' });
  return [ours, theirs];
}

describe('hot metrics', () => {
  it('a histogram exposes what prom-client exposes for the same observations', async () => {
    const [ours, theirs] = registries();
    const config = { name: 'op_seconds', help: 'Operation time.', labelNames: ['model', 'system'] as const, buckets: [0.01, 0.1, 0.5, 1] };
    const hot = new HotHistogram({ ...config, registers: [ours] });
    const reference = new Histogram({ ...config, registers: [theirs] });
    const observations: Array<[string, string, number]> = [
      ['a', 'openai', 0.005],
      ['a', 'openai', 0.01], // on a bound: counted in it (le is "less or equal")
      ['a', 'openai', 0.7],
      ['a', 'openai', 5],
      ['b "quoted"\n', 'anthropic', 0.2],
    ];
    for (const [model, system, value] of observations) {
      hot.labels(model, system).observe(value);
      reference.labels(model, system).observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('a counter exposes what prom-client exposes, with and without labels', async () => {
    const [ours, theirs] = registries();
    const labelled = { name: 'requests_total', help: 'Requests.', labelNames: ['outcome'] as const };
    const plain = { name: 'leases_total', help: 'Leases.', labelNames: [] as const };
    const hot = new HotCounter({ ...labelled, registers: [ours] });
    const reference = new Counter({ ...labelled, registers: [theirs] });
    const hotPlain = new HotCounter({ ...plain, registers: [ours] });
    const referencePlain = new Counter({ ...plain, registers: [theirs] });
    hot.labels('ok').inc();
    hot.labels('ok').inc(2);
    hot.labels('429').inc();
    reference.labels('ok').inc();
    reference.labels('ok').inc(2);
    reference.labels('429').inc();
    hotPlain.labels().inc(4);
    referencePlain.inc(4);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('the cluster aggregator sums them across workers as it sums prom-client metrics', async () => {
    const config = { name: 'op_seconds', help: 'Operation time.', labelNames: ['model'] as const, buckets: [0.1, 1] };
    const workers = [new Registry(), new Registry()];
    const references = [new Registry(), new Registry()];
    workers.forEach((registry, i) => new HotHistogram({ ...config, registers: [registry] }).labels('a').observe(i === 0 ? 0.05 : 2));
    references.forEach((registry, i) => new Histogram({ ...config, registers: [registry] }).labels('a').observe(i === 0 ? 0.05 : 2));
    const aggregate = async (registries: Registry[]) => AggregatorRegistry.aggregate(await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()))).metrics();
    expect(await aggregate(workers)).toBe(await aggregate(references));
  });

  it('refuses what prom-client refuses', () => {
    const registers = [new Registry()];
    expect(() => new HotHistogram({ name: 'bad name', help: 'h', labelNames: [], buckets: [1], registers })).toThrow(/metric name/);
    expect(() => new HotHistogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: [1], registers })).toThrow(/le/);
    const counter = new HotCounter({ name: 'c_total', help: 'h', labelNames: ['a'], registers });
    expect(() => counter.labels()).toThrow(/label values/);
    expect(() => counter.labels('x').inc(-1)).toThrow(/goes up/);
    expect(() => new HotHistogram({ name: 'h2', help: 'h', labelNames: [], buckets: [1], registers }).labels().observe(Number.NaN)).toThrow(/not a valid number/);
  });

  it('reset forgets every series', async () => {
    const registry = new Registry();
    const counter = new HotCounter({ name: 'c_total', help: 'h', labelNames: ['a'], registers: [registry] });
    counter.labels('x').inc();
    counter.reset();
    expect(await registry.metrics()).not.toContain('c_total{');
    counter.labels('x').inc();
    expect(await registry.metrics()).toContain('c_total{a="x"} 1');
  });
});
