import client from 'prom-client';

/** What a counter or histogram declares: its name, help text and label names. */
interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
}

/**
 * The process's Prometheus registry and the metrics every part of CampusG records.
 * Gauges that need a query (lag, backlog, saga counts) register a collector with `onCollect`.
 */
export class Metrics {
  readonly registry = new client.Registry();
  readonly httpRequests = this.counter({
    name: 'campusg_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
  });
  readonly httpDuration = this.histogram(
    {
      name: 'campusg_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
    },
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  readonly consumed = this.counter({
    name: 'campusg_messages_consumed_total',
    help: 'Bus messages handled, by consumer group, topic and type',
    labelNames: ['group', 'topic', 'type'],
  });
  readonly produced = this.counter({
    name: 'campusg_messages_produced_total',
    help: 'Bus messages written (to the outbox or the log), by topic and type',
    labelNames: ['topic', 'type'],
  });
  readonly deadLettered = this.counter({
    name: 'campusg_messages_dead_lettered_total',
    help: 'Messages sent to a dead-letter topic, by group, topic and reason',
    labelNames: ['group', 'topic', 'reason'],
  });
  readonly handlerRetries = this.counter({
    name: 'campusg_message_handler_retries_total',
    help: 'Retries of a message handler after a transient error',
    labelNames: ['group', 'topic'],
  });
  readonly handlerDuration = this.histogram(
    {
      name: 'campusg_message_handler_duration_seconds',
      help: 'Time a message handler ran for one message it handled, inside its transaction (the commit not included), by consumer group and type',
      labelNames: ['group', 'type'],
    },
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly sagaDuration = this.histogram(
    {
      name: 'campusg_saga_duration_seconds',
      help: 'Time from saga start to its end state, by type and end status',
      labelNames: ['type', 'status'],
    },
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  );

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) client.collectDefaultMetrics({ register: this.registry, prefix: 'campusg_' });
  }

  /**
   * A gauge whose value(s) are read when /metrics is scraped. `aggregator` says how the gateway
   * combines the values several processes report (`max` for facts every process reads alike).
   */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (set: (labels: Partial<Record<L, string | number>>, value: number) => void) => Promise<void>,
    aggregator: 'sum' | 'max' = 'sum',
  ): void {
    new client.Gauge({
      name,
      help,
      labelNames,
      aggregator,
      registers: [this.registry],
      async collect() {
        this.reset();
        await collect((labels, value) => this.set(labels, value)).catch(() => {});
      },
    });
  }

  // Field initialisers call these, so every declared metric lands in this instance's registry.
  private counter<L extends string>(spec: MetricSpec<L>): client.Counter<L> {
    return new client.Counter({ ...spec, registers: [this.registry] });
  }

  private histogram<L extends string>(spec: MetricSpec<L>, buckets: number[]): client.Histogram<L> {
    return new client.Histogram({ ...spec, buckets, registers: [this.registry] });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** This process's metrics as JSON, for the gateway to aggregate the deployment's. */
  json() {
    return this.registry.getMetricsAsJSON();
  }

  /** One exposition for several processes: their JSON metrics combined with this registry's. */
  static async aggregate(parts: client.MetricObjectWithValues<client.MetricValue<string>>[][]): Promise<string> {
    return client.AggregatorRegistry.aggregate(parts).metrics();
  }
  get contentType(): string {
    return this.registry.contentType;
  }
}
