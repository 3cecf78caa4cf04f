import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import { EmptyState, Notice, QueryState } from '../../components/feedback.tsx';
import { PageHead } from '../../components/page-head.tsx';
import { LineChart } from '../charts.tsx';
import { short, stamp } from '../format.ts';
import { operatorApi } from '../operator-api.ts';
import { rates, useSeries } from '../use-series.ts';

/** Messages per second on each topic, and a topic's latest messages, optionally of one key. */
export function TopicsPage() {
  const query = useQuery({ queryKey: ['console', 'topics'], queryFn: operatorApi.topics, refetchInterval: 3000 });
  const series = useSeries(query.dataUpdatedAt || undefined, () => ({
    _t: Date.parse(query.data?.at ?? '') / 1000,
    ...Object.fromEntries((query.data?.topics ?? []).map((t) => [t.topic, t.messages])),
  }));
  const [params, setParams] = useSearchParams();
  const topic = params.get('topic');
  return (
    <>
      <PageHead title="Topics" subtitle="Messages per second on each topic (since this page opened), and the latest messages." />
      <QueryState query={query} loading="Reading the topics…">
        {(data) => (
          <>
            {!data.history && (
              <Notice tone="warning">
                This bus keeps no history: a message is gone once every group has acknowledged it, so a topic's messages cannot be listed.
                The counts below are what the <span className="mono">notification-service</span> group (it reads every topic) has received.
              </Notice>
            )}
            <div className="console-cards">
              {data.topics.map((t) => {
                const perSecond = rates(series[t.topic] ?? [], series._t ?? []);
                return (
                  <section key={t.topic} className="card console-lag" aria-label={`Topic ${t.topic}`}>
                    <div className="console-lag__head">
                      {data.history ? (
                        <button type="button" className="console-link mono" onClick={() => setParams({ topic: t.topic })}>
                          {t.topic}
                        </button>
                      ) : (
                        <span className="mono">{t.topic}</span>
                      )}
                      <span className="small muted">
                        {(perSecond.at(-1) ?? 0).toFixed(1)}/s · {t.messages} in {t.partitions} partitions
                      </span>
                    </div>
                    <LineChart values={perSecond} label={`Messages per second on ${t.topic}`} />
                  </section>
                );
              })}
            </div>
          </>
        )}
      </QueryState>
      {topic && query.data?.history && <LatestMessages topic={topic} />}
    </>
  );
}

function LatestMessages({ topic }: { topic: string }) {
  const [input, setInput] = useState('');
  const [key, setKey] = useState<string | undefined>(undefined);
  const query = useQuery({ queryKey: ['console', 'messages', topic, key], queryFn: () => operatorApi.topicMessages(topic, key) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setKey(input.trim() || undefined);
  };
  return (
    <section className="card" aria-label={`Latest messages on ${topic}`}>
      <h2>
        Latest on <span className="mono">{topic}</span>
      </h2>
      <form className="console-filters" onSubmit={submit}>
        <div className="field">
          <label className="field__label" htmlFor="topic-key">
            Key (an order id)
          </label>
          <input id="topic-key" className="input mono" value={input} onChange={(e) => setInput(e.target.value)} />
        </div>
        <button type="submit" className="button button--secondary">
          Filter
        </button>
      </form>
      <QueryState query={query} loading="Reading the latest messages…">
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState title="No messages" icon="📭" />
          ) : (
            <div className="console-scroll">
              <table className="table small">
                <thead>
                  <tr>
                    <th>At</th>
                    <th>Type</th>
                    <th>Key</th>
                    <th>Position</th>
                    <th>Value</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((m) => (
                    <tr key={`${m.partition}:${m.offset}`}>
                      <td>{stamp(m.at)}</td>
                      <td className="mono">{m.type ?? '–'}</td>
                      <td className="mono">{short(m.key)}</td>
                      <td className="mono">
                        [{m.partition}]@{m.offset}
                      </td>
                      <td>
                        <details>
                          <summary className="small">{m.value.length} bytes</summary>
                          <pre className="pre small">{m.value}</pre>
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </section>
  );
}
