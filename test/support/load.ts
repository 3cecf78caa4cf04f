import { setTimeout as pause } from 'node:timers/promises';
import { GROUP_TOPICS } from '@campusg/contracts';
import { startOnSchedule } from '@campusg/journeys';
import type { Transport } from '@campusg/messaging';
import type { Sql } from '@campusg/platform';
import { type ApiClient, type Res, waitFor } from './client.ts';
import { DELIVERY_STEPS, SANDBOX_CARDS, sampleOrderBody } from './fixtures.ts';
import type { TestSystem } from './system.ts';

/**
 * Load for the fault tests: whole order journeys through the gateway, each one a bounded loop that
 * rides out an outage (a refused connection or a 5xx is tried again; every POST it repeats is
 * idempotent: an Idempotency-Key on create, one running saga per business key on accept and
 * complete, and a progress step already taken is recognised from the order), and reports what it saw.
 */

/** What a journey sets out to do. */
export type JourneyKind =
  /** create → accept → PLACED → ON_THE_WAY → DELIVERED → complete (payout) */
  | 'complete'
  /** create with a card that declines */
  | 'decline'
  /** create, then the customer cancels */
  | 'cancel'
  /** create, and nobody accepts (the acceptance timer cancels it when its window is short) */
  | 'open';

export interface Journey {
  kind: JourneyKind;
  orderId?: string;
  /** Every saga the journey started, with the status it ended in. */
  sagas: { id: string; type: string; status: string; error: string | null }[];
  /** The order as its customer sees it at the end. */
  status?: string;
  cancelReason?: string | null;
  /** A journey that could not finish within its time limit, and why (with the last steps it took). */
  error?: string;
  /** What the journey did and saw, in order (for the report when it fails). */
  trail: string[];
  /** Requests answered with a 5xx or refused, and tried again. */
  retries: number;
  startedAt: number;
  endedAt: number;
}

export interface Actors {
  customers: ApiClient[];
  /** A customer whose card declines. */
  decliner: ApiClient;
  runners: ApiClient[];
}

/** Registers the people of the load (before any fault: registering is not what is under test). */
export async function registerActors(sys: TestSystem, counts = { customers: 4, runners: 4 }): Promise<Actors> {
  const customers = await Promise.all(
    Array.from({ length: counts.customers }, async (_, i) => (await sys.client().register(`Cust${i}`)).addCard()),
  );
  const decliner = await (await sys.client().register('Decliner')).addCard(SANDBOX_CARDS.declined);
  const runners = await Promise.all(
    Array.from({ length: counts.runners }, async (_, i) => (await sys.client().register(`Runner${i}`)).becomeRunner()),
  );
  return { customers, decliner, runners };
}

const PROGRESS = ['CREATED', 'ACCEPTED', 'PLACED', 'ON_THE_WAY', 'DELIVERED', 'COMPLETED'];
let keySeq = 0;

class JourneyFailed extends Error {}

/** A request's time limit: a deployment in trouble may accept a connection and never answer. */
const REQUEST_TIMEOUT_MS = 15_000;

/** Runs one journey to its end, or until `timeoutMs` has passed. */
export async function runJourney(kind: JourneyKind, customer: ApiClient, runner: ApiClient, timeoutMs = 60_000): Promise<Journey> {
  const j: Journey = { kind, sagas: [], retries: 0, trail: [], startedAt: Date.now(), endedAt: 0 };
  const note = (what: string) => {
    if (j.trail[j.trail.length - 1] !== what) j.trail.push(what);
  };
  const deadline = j.startedAt + timeoutMs;
  const check = (what: string) => {
    if (Date.now() > deadline) throw new JourneyFailed(`${what}: no answer within ${timeoutMs} ms`);
  };
  /** One request, tried again while the deployment is unreachable or answers 5xx. */
  const send = async (c: ApiClient, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res> => {
    for (;;) {
      check(`${method} ${url}`);
      const res = await c.request(method, url, body, headers, AbortSignal.timeout(REQUEST_TIMEOUT_MS)).catch((err: Error) => ({
        status: 0,
        body: String(err.cause ?? err),
        headers: new Headers(),
      }));
      if (res.status !== 0 && res.status < 500) return res;
      j.retries++;
      await pause(150);
    }
  };
  const order = async (c: ApiClient = customer) => {
    for (;;) {
      const res = await send(c, 'GET', `/api/orders/${j.orderId}`);
      note(`order ${res.status} ${res.body?.status ?? ''}`);
      if (res.status === 200) return res.body as { status: string; runnerId: string | null; cancelReason: string | null };
      check(`GET order (${res.status})`);
      await pause(100);
    }
  };
  const saga = async (c: ApiClient, id: string) => {
    for (;;) {
      const res = await send(c, 'GET', `/api/sagas/${id}`);
      if (res.status === 200 && !['RUNNING', 'COMPENSATING'].includes(res.body.status)) {
        note(`saga ${res.body.type} ${res.body.status}`);
        j.sagas.push({ id, type: res.body.type, status: res.body.status, error: res.body.error });
        return res.body.status as string;
      }
      check(`saga ${id} (${res.status} ${res.body?.status})`);
      await pause(100);
    }
  };
  /** POSTs until the answer is 202 (its saga id) or `done` says the order shows the effect already. */
  const start = async (c: ApiClient, url: string, done: (o: Awaited<ReturnType<typeof order>>) => boolean) => {
    for (;;) {
      const res = await send(c, 'POST', url);
      note(`POST ${url.split('/').pop()} ${res.status} ${res.body?.code ?? ''}`);
      if (res.status === 202) return res.body.sagaId as string;
      // 404/409: the saga service's view of the order may lag behind, or the effect is there already.
      // Read as the customer: a runner no longer sees an order that closed while it was trying.
      const o = await order();
      if (done(o)) return undefined;
      check(`POST ${url} (${res.status} ${JSON.stringify(res.body)})`);
      await pause(100);
    }
  };
  try {
    const c = customer;
    const key = `fault-${process.pid}-${Date.now()}-${++keySeq}`;
    const created = await send(c, 'POST', '/api/orders', sampleOrderBody(), { 'idempotency-key': key });
    if (created.status !== 202) throw new JourneyFailed(`create: ${created.status} ${JSON.stringify(created.body)}`);
    j.orderId = created.body.orderId;
    const createStatus = await saga(c, created.body.sagaId);
    if (createStatus === 'COMPLETED' && kind === 'cancel') {
      const id = await start(c, `/api/orders/${j.orderId}/cancel`, (o) => o.status === 'CANCELLED' || o.status !== 'CREATED');
      if (id) await saga(c, id);
    }
    if (createStatus === 'COMPLETED' && kind === 'complete') {
      const me = runner.user.id as string;
      const acceptId = await start(
        runner,
        `/api/orders/${j.orderId}/accept`,
        (o) => o.status === 'CANCELLED' || (o.runnerId === me && o.status !== 'CREATED'),
      );
      if (acceptId) await saga(runner, acceptId);
      // Read as the customer: a runner does not see an order that is no longer open to it.
      let o = await order();
      if (o.runnerId === me && o.status !== 'CANCELLED') {
        for (const to of DELIVERY_STEPS) {
          for (;;) {
            const res = await send(runner, 'POST', `/api/orders/${j.orderId}/progress`, { status: to });
            note(`progress ${to} ${res.status}`);
            if (res.status === 200) break;
            o = await order(runner);
            if (PROGRESS.indexOf(o.status) >= PROGRESS.indexOf(to)) break;
            check(`progress to ${to} (${res.status})`);
            await pause(100);
          }
        }
        const completeId = await start(runner, `/api/orders/${j.orderId}/complete`, (x) => x.status === 'COMPLETED');
        if (completeId) await saga(runner, completeId);
      }
    }
    // A create-order saga whose create_order step timed out and was compensated first leaves no order
    // at all (the order service refuses the late command: the cancel left a tombstone).
    const never = createStatus === 'COMPENSATED' && (await send(c, 'GET', `/api/orders/${j.orderId}`)).status === 404;
    if (never) j.status = 'NEVER_CREATED';
    // The end as the customer sees it: the order service may apply the saga's last command a moment later.
    for (; !never; ) {
      const o = await order();
      j.status = o.status;
      j.cancelReason = o.cancelReason;
      const settled =
        kind === 'open'
          ? o.status !== 'PENDING'
          : ['COMPLETED', 'CANCELLED'].includes(o.status) || (kind === 'complete' && o.status === 'CREATED');
      if (settled) break;
      check(`order to settle (${o.status})`);
      await pause(100);
    }
  } catch (err) {
    j.error = `${err instanceof JourneyFailed ? err.message : String(err)} [${j.trail.slice(-6).join(' → ')}]`;
  }
  j.endedAt = Date.now();
  return j;
}

/** Journeys started `staggerMs` apart, each kind in turn, customers and runners in rotation. */
export async function startLoad(actors: Actors, kinds: JourneyKind[], staggerMs = 100, timeoutMs = 60_000): Promise<Journey[]> {
  const journeys = await startOnSchedule({ count: kinds.length, intervalMs: staggerMs }, (i) => {
    const kind = kinds[i]!;
    const customer = kind === 'decline' ? actors.decliner : actors.customers[i % actors.customers.length]!;
    return runJourney(kind, customer, actors.runners[i % actors.runners.length]!, timeoutMs);
  });
  return Promise.all(journeys);
}

/**
 * Waits, on the database's word, until the load begun at `since` is under way: at least `orders`
 * orders posted, and at least `past` of them past PENDING (authorised, accepted, …) — the moment
 * to strike with a fault when journeys should be in every stage.
 */
export async function underWay(db: Sql, since: Date, at: { orders: number; past: number }): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await db.query<{ n: number; past: number }>(
        `select count(*)::int as n, (count(*) filter (where status <> 'PENDING'))::int as past from orders.orders where created_at >= $1`,
        [since],
      );
      return row && row.n >= at.orders && row.past >= at.past;
    },
    `the load to be under way (${at.orders} orders, ${at.past} past PENDING)`,
    30_000,
  );
}

/** A mix of journeys: mostly full ones, a declined card, a customer cancel and an order left open. */
export function mix(n: number): JourneyKind[] {
  const pattern: JourneyKind[] = ['complete', 'complete', 'open', 'complete', 'decline', 'complete', 'cancel', 'complete'];
  return Array.from({ length: n }, (_, i) => pattern[i % pattern.length]!);
}

/** A one-line account of a batch of journeys, by outcome. */
export function summarize(journeys: Journey[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const j of journeys) {
    const k = j.error ? 'ERROR' : `${j.kind}→${j.status}${j.cancelReason ? `(${j.cancelReason})` : ''}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * Effects counted straight from the databases: no duplicate of anything a retry or a redelivery
 * could have doubled. Returns the problems (empty when there are none).
 */
export async function duplicateEffects(db: Sql, orderIds: Set<string>): Promise<string[]> {
  const problems: string[] = [];
  const one = async <T>(sql: string) => (await db.query<T>(sql))[0]!;
  const rows = async (what: string, sql: string) => {
    for (const r of await db.query(sql)) problems.push(`${what}: ${JSON.stringify(r)}`);
  };
  // Each accepted create is one order, or a tombstone when its create_order timed out and was cancelled first.
  const ids = `'{${[...orderIds].join(',')}}'::uuid[]`;
  const { n: orders } = await one<{ n: number }>('select count(*)::int as n from orders.orders');
  const { n: tombstones } = await one<{ n: number }>(`select count(*)::int as n from orders.tombstones where order_id = any(${ids})`);
  if (orders + tombstones !== orderIds.size)
    problems.push(`${orders} orders and ${tombstones} tombstones in the database, ${orderIds.size} accepted creates`);
  await rows('order not accepted by a create', `select id from orders.orders where not (id = any(${ids}))`);
  await rows('order both created and tombstoned', 'select o.id from orders.orders o join orders.tombstones t on t.order_id = o.id');
  await rows(
    'create-order saga missing',
    `select u.id from unnest(${ids}) as u(id) where not exists (select 1 from sagas.instances s where s.key = u.id::text and s.type = 'create-order')`,
  );
  await rows(
    'more than one create-order saga',
    `select key, count(*)::int from sagas.instances where type = 'create-order' group by 1 having count(*) > 1`,
  );
  await rows(
    'more than one complete-order saga',
    `select key, count(*)::int from sagas.instances where type = 'complete-order' group by 1 having count(*) > 1`,
  );
  await rows(
    'more than one hold',
    `select order_id, count(distinct transaction_id)::int from payments.ledger_entries where kind = 'HOLD' group by 1 having count(distinct transaction_id) > 1`,
  );
  await rows(
    'more than one payout',
    `select order_id, count(distinct transaction_id)::int from payments.ledger_entries where kind = 'PAYOUT' group by 1 having count(distinct transaction_id) > 1`,
  );
  await rows(
    'more than one charge',
    `select order_id, count(distinct transaction_id)::int from payments.ledger_entries where kind = 'CHARGE' group by 1 having count(distinct transaction_id) > 1`,
  );
  await rows(
    'payment without an order',
    `select p.order_id from payments.payments p left join orders.orders o on o.id = p.order_id where o.id is null`,
  );
  await rows(
    'duplicate notification',
    `select user_id, order_id, kind, count(*)::int from notifications.notifications
    where kind <> 'ORDER_ACCEPTED' group by 1, 2, 3 having count(*) > 1`,
  );
  await rows('saga FAILED', `select id, type, key, state->>'error' as error from sagas.instances where status = 'FAILED'`);
  return problems;
}

/** The state of some orders across the services, for the report of a failed case. */
export async function describeOrders(db: Sql, ids: string[]): Promise<string> {
  if (ids.length === 0) return '';
  const q = (sql: string) => db.query(sql, [ids]).then((rows) => rows.map((r) => JSON.stringify(r)).join('\n  '));
  return [
    `orders:\n  ${await q(`select id, status, runner_id is not null as runner, cancel_reason from orders.orders where id = any($1::uuid[])`)}`,
    `payments:\n  ${await q(`select order_id, status, revert_method from payments.payments where order_id = any($1::uuid[])`)}`,
    `timers:\n  ${await q(`select order_id, status, stop_reason from timers.timers where order_id = any($1::uuid[])`)}`,
    `sagas:\n  ${await q(`select key, type, status, state->>'stepIndex' as step, state->>'error' as error from sagas.instances where key = any($1::text[]) order by started_at`)}`,
    `saga history:\n  ${await q(`select i.key, i.type, h.seq, h.kind, h.type as what, h.note from sagas.history h join sagas.instances i on i.id = h.saga_id
      where i.key = any($1::text[]) order by i.key, i.started_at, h.seq`)}`,
  ].join('\n');
}

/** A transport that can say how its broker sees a group (Kafka's). */
function describes(
  t: Transport,
): t is Transport & { describeGroup(group: string): Promise<{ state: string; members: { memberId: string; partitions: string[] }[] }> } {
  return typeof (t as { describeGroup?: unknown }).describeGroup === 'function';
}

/** What keeps a deployment from settling: consumer groups behind, sagas waiting on a step. */
export async function unsettled(db: Sql, transport: Transport): Promise<string> {
  const lines: string[] = [];
  for (const [group, topics] of Object.entries(GROUP_TOPICS)) {
    const lag = await transport
      .lag(group, topics)
      .catch((err: Error) => [{ topic: `(lag failed: ${err.message})`, partition: -1, lag: -1, committed: -1, end: -1 }]);
    for (const l of lag) {
      if (l.lag === 0) continue;
      lines.push(`lag ${group} ${l.topic}[${l.partition}] committed ${l.committed} end ${l.end}`);
      // The records the group has not committed: their message ids, types and when they were written.
      if (l.committed >= 0 && l.end > l.committed) {
        const records = await transport.read(l.topic, l.partition, l.committed, Math.min(5, l.end - l.committed)).catch(() => []);
        for (const r of records) {
          const m = (() => {
            try {
              return JSON.parse(r.value) as { message_id?: string; type?: string };
            } catch {
              return {};
            }
          })();
          lines.push(`  @${r.offset} ${r.timestamp.toISOString()} ${m.type ?? '?'} ${m.message_id ?? '?'} key ${r.key}`);
        }
      }
    }
    // On Kafka: the group's state, and which member owns each partition that lags (none: unassigned).
    const behind = lag.filter((l) => l.lag !== 0).map((l) => `${l.topic}:${l.partition}`);
    if (behind.length > 0 && describes(transport)) {
      const described = await transport
        .describeGroup(group)
        .catch((err: Error) => ({ state: `(describe failed: ${err.message})`, members: [] }));
      const owners = behind.map((tp) => `${tp} → ${described.members.find((m) => m.partitions.includes(tp))?.memberId ?? 'no member'}`);
      lines.push(`group ${group}: ${described.state}, ${described.members.length} members; ${owners.join(', ')}`);
    }
  }
  for (const schema of ['orders', 'users', 'payments', 'timers', 'notifications', 'sagas']) {
    const [row] = await db.query<{ n: number; oldest: string }>(
      `select count(*)::int as n, min(created_at)::text as oldest from ${schema}.outbox`,
    );
    if (row && row.n > 0) lines.push(`outbox ${schema}: ${row.n} unpublished since ${row.oldest}`);
  }
  for (const r of await db.query(
    `select key, type, status, deadline_at, state->>'stepIndex' as step, state->>'attempts' as attempts, state->>'error' as error
       from sagas.instances where status in ('RUNNING', 'COMPENSATING') order by started_at`,
  )) {
    lines.push(`saga ${JSON.stringify(r)}`);
  }
  return lines.join('\n');
}
