import type { OperatorSaga } from '@campusg/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ConfirmDialog, useDialog } from '../../components/confirm-dialog.tsx';
import { Fact } from '../../components/fact.tsx';
import { ErrorNotice, Notice, QueryState } from '../../components/feedback.tsx';
import { PageHead } from '../../components/page-head.tsx';
import { after, SAGA_TONE, short, stamp } from '../format.ts';
import { operatorApi } from '../operator-api.ts';

const KIND_LABEL: Record<string, string> = { command: 'command', event: 'reply', timeout: 'deadline', compensation: 'compensation' };

/** One saga: its steps as a timeline, its history, what it waits for, and Retry when it FAILED. */
export function SagaPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const query = useQuery({ queryKey: ['console', 'saga', id], queryFn: () => operatorApi.saga(id), refetchInterval: 3000 });
  const dialog = useDialog();
  const retry = useMutation({
    mutationFn: () => operatorApi.retrySaga(id),
    onSettled: () => {
      dialog.close();
      void queryClient.invalidateQueries({ queryKey: ['console'] });
    },
  });
  return (
    <QueryState query={query} loading="Loading the saga…">
      {(s) => (
        <>
          <PageHead
            title={`Saga ${short(s.id)}`}
            subtitle={
              <>
                {s.type} for order <Link to={`/console/trace/${s.orderId}`}>{short(s.orderId)}</Link>
              </>
            }
            actions={
              s.status === 'FAILED' ? (
                <button type="button" className="button" onClick={dialog.show}>
                  Retry
                </button>
              ) : (
                false
              )
            }
          />
          {retry.data && (
            <Notice tone={retry.data.retried ? 'success' : 'warning'}>
              {retry.data.retried ? `Retried: the saga is ${retry.data.status} again.` : `Not retried: the saga is ${retry.data.status}.`}
            </Notice>
          )}
          {retry.error ? <ErrorNotice error={retry.error} /> : null}
          <div className="console-grid">
            <section className="card">
              <h2>State</h2>
              <dl className="facts">
                <Fact term="Status">
                  <span className={`badge badge--${SAGA_TONE[s.status]}`}>{s.status}</span>
                </Fact>
                <Fact term="Step">{s.step ?? '–'}</Fact>
                <Fact term="Attempts">{s.attempts}</Fact>
                <Fact term="Deadline">{stamp(s.deadlineAt)}</Fact>
                <Fact term="Started">{stamp(s.startedAt)}</Fact>
                <Fact term="Ended">{stamp(s.endedAt)}</Fact>
                {s.status === 'FAILED' && s.failedIn && <Fact term="Failed in">{s.failedIn}</Fact>}
                {s.error && (
                  <Fact term="Error" className="console-error">
                    {s.error}
                  </Fact>
                )}
              </dl>
              <h3>Waiting for</h3>
              {s.waitingFor.length === 0 ? (
                <p className="muted">Nothing: no command of this saga is unanswered.</p>
              ) : (
                <ul className="console-list">
                  {s.waitingFor.map((w) => (
                    <li key={w.messageId}>
                      a reply to <span className="mono">{w.type}</span> sent {stamp(w.sentAt)}
                      {s.deadlineAt ? `, deadline ${stamp(s.deadlineAt)}` : ''}
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section className="card">
              <h2>Steps</h2>
              <Steps saga={s} />
            </section>
          </div>
          <section className="card">
            <h2>History</h2>
            <ol className="console-timeline" aria-label="Saga history">
              {s.history.map((h, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the history is append-only, so an entry keeps its index
                <li key={i} className={`console-timeline__item console-timeline__item--${h.kind}`}>
                  <span className="console-timeline__time">{after(s.startedAt, h.at)}</span>
                  <span className={`console-kind console-kind--${h.kind}`}>{KIND_LABEL[h.kind] ?? h.kind}</span>
                  <span className="mono">{h.type}</span>
                  {h.note && <span className="small muted console-timeline__note">{h.note}</span>}
                </li>
              ))}
            </ol>
          </section>
          <ConfirmDialog
            dialog={dialog}
            action={retry}
            title="Retry this saga?"
            confirmLabel="Retry"
            busyLabel="Retrying…"
            cancelLabel="Not now"
          >
            <p>
              It resumes where it failed ({s.failedIn ?? 'its step'}): the command is sent again, with a new deadline. Commands are
              idempotent, so a reply that arrives twice changes nothing.
            </p>
          </ConfirmDialog>
        </>
      )}
    </QueryState>
  );
}

/** The definition's steps, marked done, current or to do; then the compensations registered, run from the last. */
function Steps({ saga: s }: { saga: OperatorSaga }) {
  const state = (i: number) => {
    if (s.phase === 'done' && s.status === 'COMPLETED') return 'done';
    if (i < s.stepIndex) return 'done';
    if (i === s.stepIndex && s.phase === 'forward') return s.status === 'FAILED' ? 'failed' : 'current';
    return 'todo';
  };
  return (
    <>
      <ol className="console-steps">
        {s.steps.map((name, i) => (
          <li key={name} className={`console-steps__item console-steps__item--${state(i)}`}>
            <span className="mono">{name}</span>
            <span className="small muted">{state(i)}</span>
          </li>
        ))}
      </ol>
      {s.compensations.length > 0 && (
        <>
          <h3>Compensations</h3>
          <ol className="console-steps">
            {[...s.compensations].reverse().map((c, i) => (
              <li
                key={c.step}
                className={`console-steps__item console-steps__item--${i < s.compensated ? 'done' : s.phase === 'compensation' ? 'current' : 'todo'}`}
              >
                <span className="mono">{c.command.type}</span>
                <span className="small muted">undoes {c.step}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </>
  );
}
