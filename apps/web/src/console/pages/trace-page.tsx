import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { EmptyState, QueryState } from '../../components/feedback.tsx';
import { PageHead } from '../../components/page-head.tsx';
import { after, short, stamp } from '../format.ts';
import { operatorApi } from '../operator-api.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every message about an order across all topics, each under the message that caused it. */
export function TracePage() {
  const { orderId } = useParams();
  const navigate = useNavigate();
  const [input, setInput] = useState(orderId ?? '');
  const [invalid, setInvalid] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const id = input.trim();
    setInvalid(!UUID.test(id));
    if (UUID.test(id)) navigate(`/console/trace/${id.toLowerCase()}`);
  };
  return (
    <>
      <PageHead title="Trace of an order" subtitle="The path an order took: every message, in causal order, and who handled it." />
      <form className="console-filters" onSubmit={submit}>
        <div className={invalid ? 'field field--invalid' : 'field'}>
          <label className="field__label" htmlFor="trace-order">
            Order id
          </label>
          <input
            id="trace-order"
            className="input mono"
            value={input}
            onChange={(e) => setInput(e.target.value)}
            aria-invalid={invalid}
            aria-describedby={invalid ? 'trace-order-error' : undefined}
            placeholder="3f2a91c4-…"
          />
          {invalid && (
            <span id="trace-order-error" className="field__error">
              Enter an order id (a UUID).
            </span>
          )}
        </div>
        <button type="submit" className="button">
          Trace
        </button>
      </form>
      {orderId ? <Trace orderId={orderId} /> : null}
    </>
  );
}

function Trace({ orderId }: { orderId: string }) {
  const query = useQuery({ queryKey: ['console', 'trace', orderId], queryFn: () => operatorApi.trace(orderId), refetchInterval: 5000 });
  return (
    <QueryState query={query} loading="Tracing the order…">
      {(trace) =>
        trace.items.length === 0 ? (
          <EmptyState title="No messages" icon="🔎" />
        ) : (
          <section className="card">
            <h2>
              {trace.items.length} messages about order <span className="mono">{short(orderId)}</span>
            </h2>
            <ol className="trace" aria-label="Trace">
              {trace.items.map((m) => (
                <li key={m.messageId} className="trace__item" style={{ '--depth': Math.min(m.depth, 6) } as React.CSSProperties}>
                  <div className="trace__head">
                    <span className="mono trace__type">{m.type}</span>
                    <span className="small muted">{after(trace.items[0]!.at, m.at)}</span>
                  </div>
                  <div className="small">{m.summary}</div>
                  <div className="small muted">
                    from <strong>{m.source}</strong> on{' '}
                    <span className="mono">
                      {m.topic}[{m.partition}]@{m.offset}
                    </span>{' '}
                    at {stamp(m.at)} · saga <span className="mono">{short(m.correlationId)}</span>
                  </div>
                  <ul className="chips trace__handlers" aria-label="Handled by">
                    {m.handledBy.map((h) => (
                      <li key={h.group} className={h.at ? 'chip' : 'chip chip--quiet'} title={h.reply ? `answered ${h.reply}` : undefined}>
                        {h.group}
                        {h.reply ? ` → ${h.reply}` : ''}
                        {h.at ? ` ${after(m.at, h.at)}` : ''}
                      </li>
                    ))}
                  </ul>
                  <details>
                    <summary className="small">Payload</summary>
                    <pre className="pre small">{JSON.stringify(m.payload, null, 2)}</pre>
                  </details>
                </li>
              ))}
            </ol>
          </section>
        )
      }
    </QueryState>
  );
}
