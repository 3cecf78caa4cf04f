import type { TypedMessage } from '@campusg/contracts';
import { type HandlerContext, ReadTogether, type TransactionRows } from '@campusg/messaging';
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
  static readonly #open = new WeakMap<Sql, PaymentBook>();

  readonly #tx: Sql;
  readonly #stored: TransactionRows<PaymentRow>;
  /** The payments the handlers changed, as they left them, by order id (lower case). */
  readonly #changed = new Map<string, PaymentRow>();
  readonly #postings: Posting[] = [];
  #registered = false;

  private constructor(ctx: Pick<HandlerContext, 'tx' | 'batch'>, message: TypedMessage) {
    this.#tx = ctx.tx;
    this.#stored = PAYMENTS.in(ctx, message);
  }

  /** The book of the transaction `ctx` runs in, opened by the first handler that asks. */
  static of(ctx: Pick<HandlerContext, 'tx' | 'batch'>, message: TypedMessage): PaymentBook {
    let book = PaymentBook.#open.get(ctx.tx);
    if (!book) {
      book = new PaymentBook(ctx, message);
      PaymentBook.#open.set(ctx.tx, book);
    }
    return book;
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
  async changes(): Promise<{ inserted: PaymentRow[]; updated: PaymentRow[]; postings: Posting[] }> {
    const inserted: PaymentRow[] = [];
    const updated: PaymentRow[] = [];
    for (const row of this.#changed.values()) ((await this.#stored.get(row.order_id)) ? updated : inserted).push(row);
    return { inserted, updated, postings: this.#postings };
  }
}

const INSERT = `insert into payments.payments (id, order_id, customer_id, runner_id, amount_cents, status, revert_method,
    failure_code, authorization_ref, transfer_id, payout_account_id, authorized_at, released_at, reverted_at, created_at, updated_at)
  select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[],
    $10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[])`;

/** Only what a handler changes on a stored payment; the rest is set when it is created. */
const UPDATE = `update payments.payments p set runner_id = x.runner_id, status = x.status, revert_method = x.revert_method,
    failure_code = x.failure_code, authorization_ref = x.authorization_ref, transfer_id = x.transfer_id,
    payout_account_id = x.payout_account_id, released_at = x.released_at, reverted_at = x.reverted_at, updated_at = x.updated_at
  from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
    $10::timestamptz[], $11::timestamptz[])
    as x(id, runner_id, status, revert_method, failure_code, authorization_ref, transfer_id, payout_account_id, released_at,
      reverted_at, updated_at)
  where p.id = x.id
  returning p.id`;

const LEDGER = `insert into payments.ledger_entries (transaction_id, order_id, account, amount_cents, kind, at)
  select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::timestamptz[])`;

const column = <T, K extends keyof T>(rows: T[], k: K) => rows.map((r) => r[k]);

/** The books of one commit, in a statement per table (a group-committed round may hold several). */
async function writeBooks(tx: Sql, books: PaymentBook[]): Promise<void> {
  const all = await Promise.all(books.map((b) => b.changes()));
  const inserted = all.flatMap((c) => c.inserted);
  const updated = all.flatMap((c) => c.updated);
  const entries = all.flatMap((c) => c.postings.flatMap((p) => p.entries.map((e) => ({ ...p, ...e }))));
  if (inserted.length > 0) {
    const c = <K extends keyof PaymentRow>(k: K) => column(inserted, k);
    await tx.query(INSERT, [
      c('id'),
      c('order_id'),
      c('customer_id'),
      c('runner_id'),
      c('amount_cents'),
      c('status'),
      c('revert_method'),
      c('failure_code'),
      c('authorization_ref'),
      c('transfer_id'),
      c('payout_account_id'),
      c('authorized_at'),
      c('released_at'),
      c('reverted_at'),
      c('created_at'),
      c('updated_at'),
    ]);
  }
  if (updated.length > 0) {
    const c = <K extends keyof PaymentRow>(k: K) => column(updated, k);
    const rows = await tx.query(UPDATE, [
      c('id'),
      c('runner_id'),
      c('status'),
      c('revert_method'),
      c('failure_code'),
      c('authorization_ref'),
      c('transfer_id'),
      c('payout_account_id'),
      c('released_at'),
      c('reverted_at'),
      c('updated_at'),
    ]);
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
