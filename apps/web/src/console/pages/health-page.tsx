import { useQuery } from '@tanstack/react-query';
import { QueryState } from '../../components/feedback.tsx';
import { PageHead } from '../../components/page-head.tsx';
import { BarChart, LineChart } from '../charts.tsx';
import { byLabel, parseMetrics, total } from '../metrics-text.ts';
import { fetchMetrics, operatorApi } from '../operator-api.ts';
import { rates, useSeries } from '../use-series.ts';

const OUTCOME_TONE: Record<string, 'good' | 'bad' | 'neutral'> = { COMPLETED: 'good', FAILED: 'bad', COMPENSATED: 'neutral' };

/** The deployment's parts and whether each answers, with the figures /metrics has, drawn. */
export function HealthPage() {
  const health = useQuery({ queryKey: ['console', 'health'], queryFn: operatorApi.health, refetchInterval: 5000 });
  const metrics = useQuery({ queryKey: ['console', 'metrics'], queryFn: fetchMetrics, refetchInterval: 3000 });
  const samples = metrics.data ? parseMetrics(metrics.data) : [];
  const series = useSeries(metrics.dataUpdatedAt || undefined, () => ({
    _t: Date.now() / 1000,
    consumed: total(samples, 'campusg_messages_consumed_total'),
    produced: total(samples, 'campusg_messages_produced_total'),
    httpSum: total(samples, 'campusg_http_request_duration_seconds_sum'),
    httpCount: total(samples, 'campusg_http_request_duration_seconds_count'),
  }));
  const consumed = rates(series.consumed ?? [], series._t ?? []);
  const produced = rates(series.produced ?? [], series._t ?? []);
  const outcomes = byLabel(samples, 'campusg_sagas', 'status');
  const sagaCount = total(samples, 'campusg_saga_duration_seconds_count');
  const sagaAvgMs = sagaCount ? (total(samples, 'campusg_saga_duration_seconds_sum') / sagaCount) * 1000 : 0;
  const httpCount = total(samples, 'campusg_http_request_duration_seconds_count');
  const httpAvgMs = httpCount ? (total(samples, 'campusg_http_request_duration_seconds_sum') / httpCount) * 1000 : 0;
  return (
    <>
      <PageHead title="Health" subtitle="Each service, the bus and the databases; throughput, saga outcomes and latency." />
      <QueryState query={health} loading="Checking the parts…">
        {(h) => (
          <div className="console-cards">
            <section className="card" aria-label="Bus">
              <h2>Bus</h2>
              <p>
                <span className={h.transport.up ? 'badge badge--success' : 'badge badge--danger'}>{h.transport.up ? 'up' : 'down'}</span>{' '}
                {h.transport.name} · {h.transport.replay ? 'keeps history (replay)' : 'no history (no replay)'}
              </p>
            </section>
            <section className="card" aria-label="Databases">
              <h2>Databases</h2>
              <ul className="console-list">
                {h.databases.map((d) => (
                  <li key={d.schemas.join()}>
                    <span className={d.up ? 'badge badge--success' : 'badge badge--danger'}>{d.up ? 'up' : 'down'}</span>{' '}
                    <span className="small">{d.schemas.join(', ')}</span>
                  </li>
                ))}
              </ul>
            </section>
            <section className="card console-wide" aria-label="Services">
              <h2>Services</h2>
              <table className="table small">
                <thead>
                  <tr>
                    <th>Service</th>
                    <th>Groups</th>
                    <th className="num">Lag</th>
                  </tr>
                </thead>
                <tbody>
                  {h.services.map((s) => (
                    <tr key={s.name}>
                      <td>{s.name}</td>
                      <td className="mono small">{s.groups.join(', ') || '–'}</td>
                      <td className="num">{s.lag}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        )}
      </QueryState>
      <QueryState query={metrics} loading="Reading /metrics…">
        {() => (
          <div className="console-cards">
            <section className="card" aria-label="Throughput">
              <h2>Throughput</h2>
              <p className="small muted">
                handled {(consumed.at(-1) ?? 0).toFixed(1)}/s · written {(produced.at(-1) ?? 0).toFixed(1)}/s
              </p>
              <LineChart values={consumed} label="Messages handled per second" />
              <LineChart values={produced} label="Messages written per second" />
            </section>
            <section className="card" aria-label="Saga outcomes">
              <h2>Saga outcomes</h2>
              <BarChart
                label="Sagas by status"
                bars={Object.entries(outcomes).map(([status, value]) => ({ label: status, value, tone: OUTCOME_TONE[status] }))}
              />
            </section>
            <section className="card" aria-label="Latency">
              <h2>Latency</h2>
              <BarChart
                label="Average latency in milliseconds"
                format={(v) => `${v.toFixed(0)} ms`}
                bars={[
                  { label: 'saga start to end', value: sagaAvgMs },
                  { label: 'HTTP request', value: httpAvgMs },
                ]}
              />
              <p className="small muted">
                Dead-lettered so far: {total(samples, 'campusg_messages_dead_lettered_total')} · handler retries:{' '}
                {total(samples, 'campusg_message_handler_retries_total')}
              </p>
            </section>
          </div>
        )}
      </QueryState>
    </>
  );
}
