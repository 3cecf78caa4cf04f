import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { quietTemporalRuntime } from '@campusg/saga-temporal';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { sagaWorkflowBundle } from '../../src/temporal/temporal-sagas.ts';

/**
 * Determinism of the saga workflows: the histories in `histories/` were recorded from real runs
 * (`record-histories.ts`); today's workflow code must replay each of them to the same commands. A
 * change that would make a workflow in flight take another path fails here.
 */
const DIR = path.join(import.meta.dirname, 'histories');

interface Recorded {
  workflowId: string;
  history: { events: Record<string, any>[] };
}

const recorded = (): Record<string, Recorded> =>
  Object.fromEntries(
    readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as Recorded]),
  );

const fromJson = (history: Recorded['history']) => proto.temporal.api.history.v1.History.fromObject(history);

async function replay(histories: HistoryAndWorkflowId[]) {
  const results: { workflowId: string; error: string | null }[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await sagaWorkflowBundle() }, histories)) {
    results.push({ workflowId: r.workflowId, error: r.error ? String(r.error.message ?? r.error) : null });
  }
  return results;
}

beforeAll(() => quietTemporalRuntime());

describe('saga workflow replay', () => {
  it('replays every recorded history of the four workflows', async () => {
    const all = recorded();
    expect(Object.keys(all).sort()).toEqual([
      'accept-order-completed',
      'accept-order-lost-race',
      'cancel-order-customer',
      'cancel-order-timeout',
      'complete-order-completed',
      'create-order-completed',
      'create-order-declined',
      'create-order-no-card',
    ]);
    const histories = Object.values(all).map((r) => ({ workflowId: r.workflowId, history: fromJson(r.history) }));
    const results = await replay(histories);
    expect(results).toEqual(histories.map((h) => ({ workflowId: h.workflowId, error: null })));
  }, 120_000);

  it('fails a history the workflow code could not have produced', async () => {
    // The order service's first answer turned into a refusal: the workflow now compensates and
    // ends where the recorded one went on with the saga, so replay must report nondeterminism.
    const { workflowId, history } = structuredClone(recorded()['create-order-completed']!);
    const signal = history.events.find((e) => e.workflowExecutionSignaledEventAttributes)!.workflowExecutionSignaledEventAttributes;
    const payload = signal.input.payloads[0];
    const reply = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
    expect(reply.type).toBe('order.created');
    payload.data = Buffer.from(JSON.stringify({ ...reply, type: 'order.creation_failed' })).toString('base64');
    const [result] = await replay([{ workflowId, history: fromJson(history) }]);
    expect(result?.error).toMatch(/nondetermin/i);
  }, 120_000);
});
