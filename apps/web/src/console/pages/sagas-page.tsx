import type { SagaStatus, SagaType } from '@campusg/contracts';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { EmptyState, QueryState } from '../../components/feedback.tsx';
import { PageHead } from '../../components/page-head.tsx';
import { SAGA_TONE, short, stamp } from '../format.ts';
import { operatorApi } from '../operator-api.ts';

const PAGE = 20;
// Listed here rather than imported: the web app takes only types from the contracts (no zod in the bundle).
const STATUSES: SagaStatus[] = ['RUNNING', 'COMPENSATING', 'FAILED', 'COMPENSATED', 'COMPLETED'];
const TYPES: SagaType[] = ['create-order', 'accept-order', 'complete-order', 'cancel-order'];

/** Every saga, newest first, filtered by status and type, a page at a time. */
export function SagasPage() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? undefined;
  const type = params.get('type') ?? undefined;
  const offset = Number(params.get('offset') ?? 0);
  const query = useQuery({
    queryKey: ['console', 'sagas', status, type, offset],
    queryFn: () => operatorApi.sagas({ status, type, limit: PAGE, offset }),
    refetchInterval: 5000,
  });
  const set = (name: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name !== 'offset') next.delete('offset');
    setParams(next);
  };
  return (
    <>
      <PageHead title="Sagas" subtitle="Every saga instance, newest first. A FAILED saga waits for you." />
      <div className="console-filters">
        <label className="field">
          <span className="field__label">Status</span>
          <select className="input" value={status ?? ''} onChange={(e) => set('status', e.target.value || undefined)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">Type</span>
          <select className="input" value={type ?? ''} onChange={(e) => set('type', e.target.value || undefined)}>
            <option value="">Any type</option>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
      </div>
      <QueryState query={query} loading="Loading sagas…">
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState title="No sagas" icon="🧾">
              None match these filters.
            </EmptyState>
          ) : (
            <section className="card console-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th>Saga</th>
                    <th>Type</th>
                    <th>Status</th>
                    <th>Step</th>
                    <th>Order</th>
                    <th>Started</th>
                    <th>Error</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((s) => (
                    <tr key={s.id}>
                      <td className="mono">
                        <Link to={`/console/sagas/${s.id}`} aria-label={`Saga ${s.id}`}>
                          {short(s.id)}
                        </Link>
                      </td>
                      <td>{s.type}</td>
                      <td>
                        <span className={`badge badge--${SAGA_TONE[s.status]}`}>{s.status}</span>
                      </td>
                      <td className="mono">{s.step ?? '–'}</td>
                      <td className="mono">
                        <Link to={`/console/trace/${s.orderId}`}>{short(s.orderId)}</Link>
                      </td>
                      <td>{stamp(s.startedAt)}</td>
                      <td className="console-error">{s.error ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="console-pager">
                <button
                  type="button"
                  className="button button--secondary button--small"
                  disabled={offset === 0}
                  onClick={() => set('offset', String(Math.max(0, offset - PAGE)))}
                >
                  Newer
                </button>
                <span className="small muted">
                  {offset + 1}–{offset + data.items.length}
                </span>
                <button
                  type="button"
                  className="button button--secondary button--small"
                  disabled={data.nextOffset === null}
                  onClick={() => set('offset', String(data.nextOffset))}
                >
                  Older
                </button>
              </div>
            </section>
          )
        }
      </QueryState>
    </>
  );
}
