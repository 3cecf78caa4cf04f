import { GROUP_TOPICS, GROUPS, type TypedMessage } from '@campusg/contracts';
import { type Handlers, RunTogether, type ServiceDeps, yieldToEventLoop } from '@campusg/messaging';

interface TimerRow {
  order_id: string;
  timeout_at: Date;
  status: 'ARMED' | 'STOPPED' | 'FIRED';
}

const iso = (d: Date) => new Date(d).toISOString();

/**
 * The timers armed by the `start_order_timer` commands of a transaction, in one statement for them
 * all (`RunTogether`): each armed the first time, its deadline returned; one armed before is left as it was.
 */
const starts = new RunTogether<Pick<TimerRow, 'timeout_at'>>({
  type: 'start_order_timer',
  async run(tx, messages, now) {
    const input = (messages as TypedMessage<'start_order_timer'>[]).map((m) => m.payload);
    const rows = await tx.query<Pick<TimerRow, 'order_id' | 'timeout_at'>>(
      `insert into timers.timers (order_id, timeout_at, status, created_at, updated_at)
       select x.order_id, x.timeout_at, 'ARMED', $2, $2 from jsonb_to_recordset($1::jsonb) as x(order_id uuid, timeout_at timestamptz)
       on conflict (order_id) do nothing returning order_id, timeout_at`,
      [JSON.stringify(input.map((p) => ({ order_id: p.order_id, timeout_at: p.timeout_at }))), now],
    );
    return new Map(rows.map((r) => [r.order_id, r]));
  },
});

/**
 * start_order_timer arms (once), restart_order_timer arms again with a new deadline (unless a
 * cancel stopped the timer), stop_order_timer disarms; each answers every time.
 */
export const timerHandlers: Handlers = {
  async start_order_timer(m, ctx) {
    const { tx, emit } = ctx;
    const { order_id } = m.payload;
    const armed = await starts.for(ctx, m);
    // Armed before (the command came again): the answer names the deadline it was armed with.
    const timer = armed ?? (await tx.query<TimerRow>('select * from timers.timers where order_id = $1', [order_id]))[0]!;
    emit('timer.started', { order_id, timeout_at: iso(timer.timeout_at) });
  },

  async restart_order_timer(m, { tx, emit, now }) {
    const { order_id, timeout_at } = m.payload;
    // A cancelled order's timer stays stopped, whichever of the cancel and the restart came first.
    // Armed (new, or again) unless a cancel stopped it: then the update is skipped and returns no row.
    const [armed] = await tx.query<Pick<TimerRow, 'timeout_at'>>(
      `insert into timers.timers (order_id, timeout_at, status, created_at, updated_at) values ($1, $2, 'ARMED', $3, $3)
       on conflict (order_id) do update set timeout_at = excluded.timeout_at, status = 'ARMED', stop_reason = null,
         updated_at = excluded.updated_at
       where timers.timers.stop_reason is distinct from 'CANCELLED'
       returning timeout_at`,
      [order_id, timeout_at, now],
    );
    if (armed) return void emit('timer.started', { order_id, timeout_at: iso(armed.timeout_at) });
    emit('timer.failed', { order_id, code: 'ORDER_CANCELLED' });
  },

  async stop_order_timer(m, { tx, emit, now }) {
    const { order_id, reason } = m.payload;
    const stopped = await tx.query(
      `update timers.timers set status = 'STOPPED', stop_reason = $2, updated_at = $3 where order_id = $1 and status = 'ARMED' returning 1`,
      [order_id, reason, now],
    );
    // A cancel marks even a fired or stopped timer: a later restart (a given-back order's fresh window) must not arm it.
    if (stopped.length === 0 && reason === 'CANCELLED') {
      await tx.query(`update timers.timers set status = 'STOPPED', stop_reason = 'CANCELLED', updated_at = $2 where order_id = $1`, [
        order_id,
        now,
      ]);
    }
    if (stopped.length === 0) {
      // Stopping a timer that never started keeps it from arming later.
      await tx.query(
        `insert into timers.timers (order_id, timeout_at, status, stop_reason, created_at, updated_at)
         values ($1, $2, 'STOPPED', $3, $2, $2) on conflict (order_id) do nothing`,
        [order_id, now, reason],
      );
    }
    emit('timer.stopped', { order_id, reason, already: stopped.length === 0 });
  },
};

/**
 * The timer service: durable timers in its own schema. Due timers fire once — marked FIRED in the
 * same transaction that stores `timer.expired` — also when they came due while the service was down.
 */
export class TimerService {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  constructor(private readonly deps: ServiceDeps) {}

  async start(intervalMs = 200): Promise<void> {
    await this.deps.bus.consume(GROUPS.timer, GROUP_TOPICS[GROUPS.timer], timerHandlers);
    const loop = async () => {
      if (this.#stopped) return;
      try {
        // Between batches, let the event loop run: the embedded database answers through microtasks
        // only, so a stream of due timers would otherwise starve every socket and consumer of the process.
        while ((await this.fireDue()) > 0 && !this.#stopped) await yieldToEventLoop();
      } catch (err) {
        this.deps.log.error({ err }, 'firing due timers failed');
      }
      if (!this.#stopped) this.#timer = setTimeout(loop, intervalMs);
    };
    this.#timer = setTimeout(loop, 0);
  }

  /** Fires up to `limit` due timers; returns how many fired. */
  async fireDue(limit = 200): Promise<number> {
    const now = this.deps.clock.now();
    return this.deps.bus.transact(async (tx, emit) => {
      const due = await tx.query<TimerRow>(
        `update timers.timers set status = 'FIRED', updated_at = $1
         where order_id in (select order_id from timers.timers where status = 'ARMED' and timeout_at <= $1
                            order by timeout_at limit $2 for update skip locked)
         returning order_id, timeout_at, status`,
        [now, limit],
      );
      for (const t of due) emit('timer.expired', { order_id: t.order_id, timeout_at: iso(t.timeout_at) });
      return due.length;
    });
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
