import type { DeadLetter } from '@campusg/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { ConfirmDialog, useDialog } from '../../components/confirm-dialog.tsx';
import { EmptyState, ErrorNotice, Notice, QueryState } from '../../components/feedback.tsx';
import { PageHead } from '../../components/page-head.tsx';
import { stamp } from '../format.ts';
import { operatorApi } from '../operator-api.ts';

/** Dead letters per topic, with why each was given up on, and replay of one or all. */
export function DeadLettersPage() {
  const [params, setParams] = useSearchParams();
  const counts = useQuery({ queryKey: ['console', 'dlq'], queryFn: operatorApi.deadLetterCounts, refetchInterval: 5000 });
  const topic = params.get('topic') ?? counts.data?.topics.find((t) => t.count > 0)?.topic ?? null;
  return (
    <>
      <PageHead title="Dead letters" subtitle="Messages a consumer gave up on, per topic. Fix the cause, then replay." />
      <QueryState query={counts} loading="Counting dead letters…">
        {(data) => (
          <ul className="console-tabs" aria-label="Topics">
            {data.topics.map((t) => (
              <li key={t.topic}>
                <button
                  type="button"
                  className={t.topic === topic ? 'console-tab console-tab--active' : 'console-tab'}
                  aria-pressed={t.topic === topic}
                  onClick={() => setParams({ topic: t.topic })}
                >
                  {t.topic} <span className={t.count > 0 ? 'badge badge--danger' : 'badge badge--neutral'}>{t.count}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
      {topic ? <TopicDeadLetters topic={topic} /> : counts.data && <EmptyState title="No dead letters" icon="✅" />}
    </>
  );
}

function TopicDeadLetters({ topic }: { topic: string }) {
  const queryClient = useQueryClient();
  const query = useQuery({ queryKey: ['console', 'dlq', topic], queryFn: () => operatorApi.deadLetters(topic), refetchInterval: 5000 });
  const [chosen, setChosen] = useState<DeadLetter | null>(null);
  const dialog = useDialog();
  const replay = useMutation({
    mutationFn: () => operatorApi.replay(topic, chosen?.offset),
    onSettled: () => {
      dialog.close();
      void queryClient.invalidateQueries({ queryKey: ['console'] });
    },
  });
  const ask = (letter: DeadLetter | null) => {
    replay.reset();
    setChosen(letter);
    dialog.show();
  };
  return (
    <QueryState query={query} loading="Loading dead letters…">
      {(data) => (
        <section className="card">
          <div className="page-head--split">
            <h2>
              {data.items.length} on <span className="mono">{topic}_dlq</span>
            </h2>
            {data.items.length > 0 && (
              <button type="button" className="button button--secondary" onClick={() => ask(null)}>
                Replay all
              </button>
            )}
          </div>
          {replay.data && (
            <Notice tone="success">
              Replayed {replay.data.replayed} message(s) to {topic}.
            </Notice>
          )}
          {replay.error ? <ErrorNotice error={replay.error} /> : null}
          {data.items.length === 0 ? (
            <p className="muted">No dead letters on this topic.</p>
          ) : (
            <ol className="console-letters">
              {data.items.map((d) => (
                <li key={d.offset} className="console-letter">
                  <div className="console-letter__head">
                    <span className="badge badge--danger">{d.reason ?? 'UNKNOWN'}</span>
                    <span className="mono">{d.type ?? '(no type)'}</span>
                    <span className="small muted">{stamp(d.at)}</span>
                    <button type="button" className="button button--small button--secondary" onClick={() => ask(d)}>
                      Replay
                    </button>
                  </div>
                  <div className="small console-error">{d.error}</div>
                  <div className="small muted">
                    group <strong>{d.group ?? '–'}</strong> · from{' '}
                    <span className="mono">
                      {d.original.topic}[{d.original.partition}]@{d.original.offset}
                    </span>{' '}
                    · message <span className="mono">{d.messageId ?? '–'}</span>
                  </div>
                  <details>
                    <summary className="small">Payload</summary>
                    <pre className="pre small">{pretty(d.value)}</pre>
                  </details>
                </li>
              ))}
            </ol>
          )}
          <ConfirmDialog
            dialog={dialog}
            action={replay}
            title={chosen ? 'Replay this message?' : `Replay all ${data.items.length} dead letters?`}
            confirmLabel={chosen ? 'Replay' : 'Replay all'}
            busyLabel="Replaying…"
            cancelLabel="Not now"
          >
            <p>
              {chosen ? `The ${chosen.type ?? 'message'} goes` : 'Each message goes'} back to <span className="mono">{topic}</span> for the
              group that gave up on it. Its inbox makes a second replay harmless; a message that is still wrong comes back here.
            </p>
          </ConfirmDialog>
        </section>
      )}
    </QueryState>
  );
}

function pretty(value: string): string {
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}
