import { useQuery } from '@tanstack/react-query';
import { EmptyState, QueryState } from '../../components/feedback.tsx';
import { PageHead } from '../../components/page-head.tsx';
import { money } from '../../lib/format.ts';
import { BarChart, ColumnChart } from '../charts.tsx';
import { seconds, short } from '../format.ts';
import { operatorApi } from '../operator-api.ts';

const hourLabel = (iso: string) => new Date(iso).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit' });

/** The analytics service's figures, built by its own consumer group from the order and payment events. */
export function AnalyticsPage() {
  const query = useQuery({ queryKey: ['console', 'analytics'], queryFn: operatorApi.analytics, refetchInterval: 5000 });
  return (
    <>
      <PageHead
        title="Analytics"
        subtitle={
          <>
            Built from the log by the <span className="mono">analytics-service</span> group; rebuild with{' '}
            <code>campusg group reset analytics-service --to-earliest</code> (on the embedded log and Kafka: RabbitMQ keeps no history).
          </>
        }
      />
      <QueryState query={query} loading="Reading the figures…">
        {(f) =>
          f.orders === 0 ? (
            <EmptyState title="No orders yet" icon="📈" />
          ) : (
            <div className="console-cards">
              <section className="card" aria-label="Totals">
                <h2>Orders</h2>
                <dl className="console-stats">
                  <div>
                    <dt>Orders</dt>
                    <dd>{f.orders}</dd>
                  </div>
                  <div>
                    <dt>Time to acceptance</dt>
                    <dd>{seconds(f.acceptanceSeconds)}</dd>
                  </div>
                  <div>
                    <dt>Delivery time</dt>
                    <dd>{seconds(f.deliverySeconds)}</dd>
                  </div>
                </dl>
              </section>
              <section className="card console-wide" aria-label="Per hour">
                <h2>Orders per hour</h2>
                <ColumnChart
                  label="Orders placed per hour"
                  columns={f.hourly.map((h) => ({ label: hourLabel(h.hour), value: h.created }))}
                />
                <h3>Completions per hour</h3>
                <ColumnChart
                  label="Orders completed per hour"
                  columns={f.hourly.map((h) => ({ label: hourLabel(h.hour), value: h.completed }))}
                />
              </section>
              <section className="card" aria-label="Cancellations">
                <h2>Cancellations by reason</h2>
                {f.cancellations.length === 0 ? (
                  <p className="muted">None.</p>
                ) : (
                  <BarChart
                    label="Cancellations by reason"
                    bars={f.cancellations.map((c) => ({ label: c.reason, value: c.count, tone: 'bad' }))}
                  />
                )}
              </section>
              <section className="card" aria-label="Runner earnings">
                <h2>Runner earnings</h2>
                {f.runners.length === 0 ? (
                  <p className="muted">No payouts yet.</p>
                ) : (
                  <BarChart
                    label="Earnings per runner"
                    format={money}
                    bars={f.runners.map((r) => ({ label: `${short(r.runnerId)} (${r.orders})`, value: r.earnedCents, tone: 'good' }))}
                  />
                )}
              </section>
            </div>
          )
        }
      </QueryState>
    </>
  );
}
