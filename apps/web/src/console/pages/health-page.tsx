import { useQuery } from '@tanstack/react-query';
import { QueryState } from '../../components/feedback.tsx';
import { PageHead } from '../../components/page-head.tsx';
import { parseMetrics } from '../metrics-text.ts';
import { fetchMetrics, operatorApi } from '../operator-api.ts';
import { useSeries } from '../use-series.ts';
import { HealthFigures, healthSample } from './health-figures.tsx';
import { HealthParts } from './health-parts.tsx';

/** The deployment's parts and whether each answers, every instance of every service, and the figures /metrics has, drawn. */
export function HealthPage() {
  const health = useQuery({ queryKey: ['console', 'health'], queryFn: operatorApi.health, refetchInterval: 5000 });
  const metrics = useQuery({ queryKey: ['console', 'metrics'], queryFn: fetchMetrics, refetchInterval: 3000 });
  const samples = metrics.data ? parseMetrics(metrics.data) : [];
  const series = useSeries(metrics.dataUpdatedAt || undefined, () => healthSample(samples));
  return (
    <>
      <PageHead
        title="Health"
        subtitle="Each service and its instances, the bus and the databases; throughput, saga outcomes and latency."
      />
      <QueryState query={health} loading="Checking the parts…">
        {(h) => <HealthParts health={h} />}
      </QueryState>
      <QueryState query={metrics} loading="Reading /metrics…">
        {() => <HealthFigures samples={samples} series={series} />}
      </QueryState>
    </>
  );
}
