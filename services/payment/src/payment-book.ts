import type { TypedMessage } from '@campusg/contracts';
import { type InTransaction, perTransaction, ReadTogether, type TransactionRows } from '@campusg/messaging';
import type { Sql } from '@campusg/platform';
import { type Entry, type LedgerKind, unbalanced } from './ledger.ts';

export interface PaymentRow {
  id: string;
  order_id: string;
  customer_id: string | null;
  runner_id: string | null;
  amount_cents: number;
  status: 'AUTHORIZED' | 'RELEASED' | 'REVERTED' | 'FAILED';
  revert_method: 'VOID' | 'REFUND' | 'NONE' | null;
  failure_code: string | null;
  authorization_ref: string | null;
  transfer_id: string | null;
  payout_account_id: string | null;
  authorized_at: Date | null;
  released_at: Date | null;
  reverted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** One balanced movement of money for the ledger. */
export interface Posting {
  transactionId: string;
  orderId: string;
  kind: LedgerKind;
  entries: Entry[];
  at: Date;
}

/** The payments of a transaction's orders, locked (in the order of their ids: no two transactions wait for each other in a circle). */
const PAYMENTS = new ReadTogether<PaymentRow>({
  keyOf: (m) =>
    m.type === 'authorize_payment' || m.type === 'revert_payment' || m.type === 'release_payment'
      ? (m.payload as { order_id: string }).order_id
      : undefined,
  read: (tx, orderIds) =>
    tx.query<PaymentRow>('select * from payments.payments where order_id = any($1::uuid[]) order by id for update', [orderIds]),
  keyOfRow: (row) => row.order_id,
});

/** The key of the book's write at the commit (`Sql.atCommit`). */
const WRITE_BOOKS = 'payments:book';

/**
 * The payments of the orders one transaction handles (`HandlerContext.batch`). The first handler
 * that asks for a payment reads the payments of every order of the transaction, locked, in one
 * statement; each handler then finds a payment as the handlers before it left it. What they change
 * is written just before the commit, one statement for all the new payments, one for all the
 * changed ones and one for the ledger, however many messages the transaction holds.
 *
 * A payment is locked for the transaction (rows in the order of their ids, so two transactions
 * never wait for each other in a circle); a payment that did not exist yet is inserted, not
 * upserted, so a concurrent transaction that created it first makes this one fail and run again,
 * as a single-row insert did.
 */
export class PaymentBook {
  /** The book of the transaction `ctx` runs in, opened by the first handler that asks. */
  static readonly of = perTransaction((ctx, message) => new PaymentBook(ctx, message));

  readonly #tx: Sql;
  readonly #stored: TransactionRows<PaymentRow>;
  /** The payments the handlers changed, as they left them, by order id (lower case). */
  readonly #changed = new Map<string, PaymentRow>();
  readonly #postings: Posting[] = [];
  #registered = false;

  private constructor(ctx: InTransaction, message: TypedMessage) {
    this.#tx = ctx.tx;
    this.#stored = PAYMENTS.in(ctx, message);
  }

  /** The order's payment, locked for the transaction, as the handlers before left it. */
  async payment(orderId: string): Promise<PaymentRow | undefined> {
    return this.#changed.get(orderId.toLowerCase()) ?? (await this.#stored.get(orderId));
  }

  /** Keeps `row` as the order's payment: inserted at the commit if it is new, updated if it was stored. */
  keep(row: PaymentRow): void {
    if (!this.#stored.has(row.order_id)) throw new Error(`payment of order ${row.order_id} kept without being read`);
    this.#changed.set(row.order_id.toLowerCase(), row);
    this.#register();
  }

  /** Records a balanced movement of money, written with the payments. */
  post(posting: Posting): void {
    const off = unbalanced(posting.entries);
    if (off !== 0) throw new Error(`unbalanced ${posting.kind} transaction for order ${posting.orderId}: ${off}`);
    this.#postings.push(posting);
    this.#register();
  }

  #register(): void {
    if (this.#registered) return;
    this.#registered = true;
    if (!this.#tx.atCommit) throw new Error('payments are written at the commit: the transaction must offer atCommit');
    this.#tx.atCommit(WRITE_BOOKS, this, (tx, books) => writeBooks(tx, books as PaymentBook[]));
  }

  /** What to write: new payments, changed ones, postings. */
  changes(): { inserted: PaymentRow[]; updated: PaymentRow[]; postings: Posting[] } {
    const inserted: PaymentRow[] = [];
    const updated: PaymentRow[] = [];
    for (const row of this.#changed.values()) (this.#stored.read(row.order_id) ? updated : inserted).push(row);
    return { inserted, updated, postings: this.#postings };
  }
}

/**
 * A payment's columns with their types, and whether a handler changes them on a stored payment
 * (`later`); the others are set when it is created.
 */
const COLUMNS: { name: keyof PaymentRow; type: string; later?: true }[] = [
  { name: 'id', type: 'uuid' },
  { name: 'order_id', type: 'uuid' },
  { name: 'customer_id', type: 'uuid' },
  { name: 'runner_id', type: 'uuid', later: true },
  { name: 'amount_cents', type: 'int' },
  { name: 'status', type: 'text', later: true },
  { name: 'revert_method', type: 'text', later: true },
  { name: 'failure_code', type: 'text', later: true },
  { name: 'authorization_ref', type: 'text', later: true },
  { name: 'transfer_id', type: 'text', later: true },
  { name: 'payout_account_id', type: 'text', later: true },
  { name: 'authorized_at', type: 'timestamptz' },
  { name: 'released_at', type: 'timestamptz', later: true },
  { name: 'reverted_at', type: 'timestamptz', later: true },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'updated_at', type: 'timestamptz', later: true },
];
/** The columns an update writes: the id, then what changes. */
const CHANGED = COLUMNS.filter((c) => c.name === 'id' || c.later);

/** `unnest` of one array parameter per column, in their order. */
const arrays = (columns: typeof COLUMNS) => `unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`;
const names = (columns: typeof COLUMNS) => columns.map((c) => c.name).join(', ');

const INSERT = `insert into payments.payments (${names(COLUMNS)}) select * from ${arrays(COLUMNS)}`;

const UPDATE = `update payments.payments p set ${CHANGED.filter((c) => c.later)
  .map((c) => `${c.name} = x.${c.name}`)
  .join(', ')}
  from ${arrays(CHANGED)} as x(${names(CHANGED)})
  where p.id = x.id
  returning p.id`;

const LEDGER = `insert into payments.ledger_entries (transaction_id, order_id, account, amount_cents, kind, at)
  select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::timestamptz[])`;

const column = <T, K extends keyof T>(rows: T[], k: K) => rows.map((r) => r[k]);

/** The books of one commit, in a statement per table (a group-committed round may hold several). */
async function writeBooks(tx: Sql, books: PaymentBook[]): Promise<void> {
  const all = books.map((b) => b.changes());
  const inserted = all.flatMap((c) => c.inserted);
  const updated = all.flatMap((c) => c.updated);
  const entries = all.flatMap((c) => c.postings.flatMap((p) => p.entries.map((e) => ({ ...p, ...e }))));
  if (inserted.length > 0) {
    await tx.query(
      INSERT,
      COLUMNS.map((c) => column(inserted, c.name)),
    );
  }
  if (updated.length > 0) {
    const rows = await tx.query(
      UPDATE,
      CHANGED.map((c) => column(updated, c.name)),
    );
    // Read locked in this transaction: every one is still there.
    if (rows.length !== updated.length) throw new Error(`${updated.length - rows.length} locked payment(s) vanished before the commit`);
  }
  if (entries.length > 0) {
    await tx.query(LEDGER, [
      column(entries, 'transactionId'),
      column(entries, 'orderId'),
      column(entries, 'account'),
      column(entries, 'amountCents'),
      column(entries, 'kind'),
      column(entries, 'at'),
    ]);
  }
}
