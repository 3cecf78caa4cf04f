import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { checkInvariants } from '../support/invariants.ts';
import { checkSagaOutcomes } from './saga-outcomes.ts';
import { catchUpOrderView, orderRow, PEOPLE, postOrder, progress, request } from './sim-client.ts';
import { isSimulatedCrash, type SimPlatform, schemaOfGroup } from './sim-platform.ts';

/** How often each kind of move is drawn, and how likely each fault is. */
const WEIGHTS = { deliver: 12, relay: 7, advance: 2, tick: 3 };
const FAULTS = { crashBeforeCommit: 0.08, crashAfterCommit: 0.08, duplicateRelay: 0.08 };

/** A seeded source of every choice a schedule makes. */
class Choices {
  readonly #rng: ReturnType<typeof xoroshiro128plus>;
  constructor(seed: number) {
    this.#rng = xoroshiro128plus(seed);
  }
  int(from: number, to: number): number {
    return uniformInt(this.#rng, from, to);
  }
  chance(p: number): boolean {
    return this.int(0, 9999) < p * 10_000;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let n = this.int(
      1,
      entries.reduce((s, [, w]) => s + w, 0),
    );
    for (const [k, w] of entries) {
      n -= w;
      if (n <= 0) return k;
    }
    return entries[0]![0];
  }
}

export interface ScheduleResult {
  seed: number;
  violations: string[];
  /** What happened, move by move (for reading a failure). */
  trace: string[];
  orders: number;
  crashes: number;
  /** A digest of the orders, sagas (with their histories), payments and timers the schedule left. */
  digest: string;
}

type Order = { id: string; customer: (typeof PEOPLE.customers)[number] };
type Action = 'accept' | 'cancel' | 'complete';

/**
 * One schedule, in the phases of an order's life, each a run of moves the seed draws (deliveries,
 * relays, timer and deadline checks, clock jumps, with crashes before and after commits, duplicated
 * relays, and replies held back by relays not yet run) with requests dropped in at drawn moments:
 *
 * 1. one order is posted (in three schedules of ten, two), and maybe cancelled while create-order runs;
 * 2. once it is quiet, the race: one to three of a runner's accept, the other runner's accept, the
 *    customer's cancel and the acceptance window running out;
 * 3. once quiet again, the runner's delivery steps and completion, maybe with a late cancel or accept.
 *
 * Then it settles (every record delivered, every deadline and window passed) and is checked.
 */
export async function runSchedule(p: SimPlatform, seed: number): Promise<ScheduleResult> {
  const c = new Choices(seed);
  const trace: string[] = [];
  const violations: string[] = [];
  const orders: Order[] = [];
  await p.reset(seed);

  const post = async (customer: Order['customer']) => {
    const id = await postOrder(p, customer);
    if (id) orders.push({ id, customer });
    trace.push(`post ${id?.slice(-4) ?? 'refused'} by customer ${PEOPLE.customers.indexOf(customer)}`);
  };
  const act = async (o: Order, action: Action, as: (typeof PEOPLE.runners)[number] | Order['customer']) => {
    await catchUpOrderView(p, o.id);
    const res = await request(p, as, 'POST', `/api/orders/${o.id}/${action}`);
    trace.push(`${action} ${o.id.slice(-4)} by ${as.name}: ${res.status}`);
  };
  /** The order's runner (anyone, while it has none). */
  const runnerOf = async (o: Order) => {
    const row = await orderRow(p, o.id);
    return PEOPLE.runners.find((r) => r.id === row?.runner_id) ?? c.pick(PEOPLE.runners);
  };
  const expire = async () => {
    p.clock.advance(p.config.orderAcceptTimeoutMs);
    trace.push(`clock +${p.config.orderAcceptTimeoutMs} ms (the acceptance window)`);
  };

  const deliver = async (faults: boolean) => {
    const pending = p.transport.pending();
    if (pending.length === 0) return false;
    const target = faults ? c.pick(pending) : pending[0]!;
    const crashBefore = faults && c.chance(FAULTS.crashBeforeCommit);
    const commit = !(faults && c.chance(FAULTS.crashAfterCommit));
    const crash = p.crashes.get(schemaOfGroup(target.groupId))!;
    crash.armed = crashBefore;
    await p.transport.deliver(target, { max: faults ? c.int(1, 4) : 50, commit });
    // A crash armed for a handler that ran no transaction (a record it skips) is not carried over.
    crash.armed = false;
    if (faults) {
      const notes = `${crashBefore ? ' crash-before-commit' : ''}${commit ? '' : ' crash-after-commit'}`;
      trace.push(`deliver ${target.groupId} ${target.topic}[${target.partition}]${notes}`);
    }
    return true;
  };

  const relay = (faults: boolean) => {
    const schemas = [...p.outboxes].filter(([, o]) => o.queue.length > 0).map(([s]) => s);
    if (schemas.length === 0) return false;
    const schema = faults ? c.pick(schemas) : schemas[0]!;
    const again = faults && c.chance(FAULTS.duplicateRelay) ? c.int(0, 3) : undefined;
    p.outboxes.get(schema)!.relay(again);
    if (faults) trace.push(`relay ${schema}${again === undefined ? '' : ' with a duplicate'}`);
    return true;
  };

  /** The timer service fires due timers (0), or one orchestrator checks its step deadlines (1–4). */
  const tick = async (which: number, faults: boolean) => {
    const schema = which === 0 ? 'timers' : 'sagas';
    const crash = p.crashes.get(schema)!;
    crash.armed = faults && c.chance(FAULTS.crashBeforeCommit);
    const d = p.deadlines;
    const run = [
      () => p.timers.fireDue(),
      () => d.createOrder.tick(),
      () => d.acceptOrder.tick(),
      () => d.cancelOrder.tick(),
      () => d.completeOrder.tick(),
    ];
    try {
      const moved = await run[which]!();
      if (faults) trace.push(`tick ${which === 0 ? 'timers' : `deadlines ${which}`}: ${moved}`);
    } catch (err) {
      if (!isSimulatedCrash(err)) violations.push(`tick ${which} failed: ${(err as Error).message}`);
      else trace.push(`tick ${which}: crash-before-commit`);
    } finally {
      crash.armed = false;
    }
  };

  const quiet = () => p.transport.pending().length === 0 && [...p.outboxes.values()].every((o) => o.queue.length === 0);
  /**
   * Moves until `count` are made and it is quiet (at most 400). The requests of each sequence are
   * made in their order, each at a move drawn for it.
   */
  const phase = async (count: number, sequences: (() => Promise<void>)[][]) => {
    const due = sequences.flatMap((seq) => {
      const at = seq.map(() => c.int(0, count)).sort((a, b) => a - b);
      return seq.map((request, k) => ({ at: at[k]!, request }));
    });
    for (let i = 0; i < 400 && (i < count || !quiet()); i++) {
      for (const d of due) if (d.at === i) await d.request();
      const move = c.weighted(WEIGHTS);
      if (move === 'deliver') (await deliver(true)) || relay(true);
      else if (move === 'relay') relay(true) || (await deliver(true));
      else if (move === 'tick') await tick(c.int(0, 4), true);
      else {
        const ms = c.chance(0.7) ? c.int(100, 5000) : c.chance(0.85) ? c.int(5000, 40_000) : c.int(60_000, 200_000);
        p.clock.advance(ms);
        trace.push(`clock +${ms} ms`);
      }
    }
  };

  // 1. The orders are posted; a customer may cancel while create-order runs.
  await post(c.chance(0.8) ? PEOPLE.customers[0]! : c.pick(PEOPLE.customers));
  const early: (() => Promise<void>)[][] = [];
  if (c.chance(0.3)) early.push([() => post(PEOPLE.customers[0]!)]);
  if (c.chance(0.15)) early.push([() => act(orders[0]!, 'cancel', orders[0]!.customer)]);
  await phase(c.int(5, 30), early);

  // 2. The race for each order.
  const race: (() => Promise<void>)[][] = [];
  for (const o of orders) {
    const contenders: (() => Promise<void>)[] = [
      () => act(o, 'accept', PEOPLE.runners[0]!),
      () => act(o, 'accept', PEOPLE.runners[1]!),
      () => act(o, 'cancel', o.customer),
      expire,
    ];
    for (let n = c.int(1, 3); n > 0; n--) race.push([contenders.splice(c.int(0, contenders.length - 1), 1)[0]!]);
  }
  await phase(c.int(5, 40), race);

  // 3. The runner's delivery steps and completion, in order, maybe with a late cancel or accept.
  const rest: (() => Promise<void>)[][] = [];
  for (const o of orders) {
    const steps = c.chance(0.6) ? 3 : c.int(0, 2);
    const step = async (): Promise<void> => {
      trace.push(`progress ${o.id.slice(-4)}: ${(await progress(p, o.id)) ?? 'nothing to do'}`);
    };
    const seq: (() => Promise<void>)[] = Array.from({ length: steps }, () => step);
    if (steps === 3 && c.chance(0.8)) seq.push(async () => act(o, 'complete', await runnerOf(o)));
    rest.push(seq);
    if (c.chance(0.15)) rest.push([() => act(o, c.chance(0.5) ? 'cancel' : 'accept', c.chance(0.5) ? o.customer : c.pick(PEOPLE.runners))]);
  }
  await phase(c.int(5, 40), rest);

  // Settle: every record relayed and delivered; then the clock jumps to the next step deadline or
  // acceptance window, each passes, and so on until no saga is in flight and no timer armed.
  trace.push('settle');
  for (let round = 0; ; round++) {
    if (round > 5_000) {
      violations.push('the system did not settle');
      break;
    }
    if (relay(false) || (await deliver(false))) continue;
    const [next] = await p.db.query<{ at: Date | null }>(
      `select least((select min(deadline_at) from sagas.instances where status in ('RUNNING', 'COMPENSATING')),
                    (select min(timeout_at) from timers.timers where status = 'ARMED')) as at`,
    );
    if (!next?.at) break;
    p.clock.set(new Date(Math.max(p.clock.now().getTime(), new Date(next.at).getTime()) + 1));
    for (let which = 0; which <= 4; which++) await tick(which, false);
  }
  violations.push(...(await checkInvariants(p.db)), ...(await checkSagaOutcomes(p.db)));
  for (const d of p.transport.deadLetters())
    violations.push(`dead letter: ${d.topic} ${d.headers['dlq-reason']} ${d.headers['dlq-error']}`);
  const crashes = [...p.crashes.values()].reduce((n, s) => n + s.crashes, 0);
  return { seed, violations, trace, orders: orders.length, crashes, digest: await digest(p) };
}

async function digest(p: SimPlatform): Promise<string> {
  const [row] = await p.db.query<{ digest: string }>(`select md5(concat_ws('|',
    (select string_agg(concat_ws(':', id, status, runner_id), ',' order by id) from orders.orders),
    (select string_agg(concat_ws(':', id, type, status, version, deadline_at), ',' order by id) from sagas.instances),
    (select string_agg(concat_ws(':', saga_id, seq, at, kind, type, message_id), ',' order by saga_id, seq) from sagas.history),
    (select string_agg(concat_ws(':', order_id, status, amount_cents), ',' order by order_id) from payments.payments),
    (select string_agg(concat_ws(':', order_id, status, timeout_at), ',' order by order_id) from timers.timers))) as digest`);
  return row!.digest;
}
