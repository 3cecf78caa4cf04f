import { useQuery } from '@tanstack/react-query';
import { QueryState } from '../../components/feedback.tsx';
import { PageHead } from '../../components/page-head.tsx';
import { LineChart } from '../charts.tsx';
import { operatorApi } from '../operator-api.ts';
import { useSeries } from '../use-series.ts';

/** Each consumer group's lag per partition, live, with the last minutes drawn. */
export function LagPage() {
  const query = useQuery({ queryKey: ['console', 'lag'], queryFn: operatorApi.lag, refetchInterval: 2000 });
  const series = useSeries(query.dataUpdatedAt || undefined, () =>
    Object.fromEntries((query.data?.groups ?? []).map((g) => [g.group, g.lag])),
  );
  return (
    <>
      <PageHead title="Consumer lag" subtitle="Messages each group has still to handle, per partition; refreshed every 2 s." />
      <QueryState query={query} loading="Reading the offsets…">
        {(data) => (
          <div className="console-cards">
            {data.groups.map((g) => (
              <section key={g.group} className="card console-lag" aria-label={`Group ${g.group}`}>
                <div className="console-lag__head">
                  <h2 className="mono">{g.group}</h2>
                  <span className={g.lag > 0 ? 'badge badge--progress' : 'badge badge--success'}>lag {g.lag}</span>
                </div>
                <LineChart values={series[g.group] ?? []} label={`Lag of ${g.group} over the last minutes`} />
                <details>
                  <summary className="small">{g.partitions.length} partitions</summary>
                  <table className="table small">
                    <thead>
                      <tr>
                        <th>Partition</th>
                        <th className="num">Committed</th>
                        <th className="num">End</th>
                        <th className="num">Lag</th>
                      </tr>
                    </thead>
                    <tbody>
                      {g.partitions.map((p) => (
                        <tr key={`${p.topic}:${p.partition}`}>
                          <td className="mono">
                            {p.topic}[{p.partition}]
                          </td>
                          <td className="num">{p.committed}</td>
                          <td className="num">{p.end}</td>
                          <td className="num">{p.lag}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              </section>
            ))}
          </div>
        )}
      </QueryState>
    </>
  );
}
