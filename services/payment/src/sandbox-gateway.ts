import { type Clock, type Db, type IdGenerator, olderThan, type PruneTask, pruneStatement, type Sql } from '@campusg/platform';

export type GatewayResult =
  | { approved: true; reference: string }
  | { approved: false; declineCode: 'CARD_DECLINED' | 'INSUFFICIENT_FUNDS' };

/** A card processor with manual capture: authorise (hold), capture, void, refund, transfer. */
export interface PaymentGateway {
  authorize(tx: Sql, key: string, token: string, amountCents: number): Promise<GatewayResult>;
  capture(tx: Sql, key: string, authorizationRef: string, amountCents: number): Promise<GatewayResult>;
  void(tx: Sql, key: string, authorizationRef: string): Promise<GatewayResult>;
  refund(tx: Sql, key: string, authorizationRef: string, amountCents: number): Promise<GatewayResult>;
  transfer(tx: Sql, key: string, accountId: string, amountCents: number): Promise<GatewayResult>;
}

/**
 * The built-in sandbox: decides like a processor's test mode (the token names the test card's
 * outcome) and keeps its records in the payment service's database. Each call is idempotent by key.
 */
export class SandboxGateway implements PaymentGateway {
  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async #once(tx: Sql, key: string, operation: string, amountCents: number, decide: () => GatewayResult): Promise<GatewayResult> {
    type Row = { approved: boolean; reference: string | null; decline_code: 'CARD_DECLINED' | 'INSUFFICIENT_FUNDS' };
    const result = decide();
    // Recorded in one statement the first time; a key seen before keeps (and answers) its first result.
    const [recorded] = await tx.query<Row>(
      `insert into payments.gateway_operations (idempotency_key, operation, amount_cents, approved, reference, decline_code, created_at)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict (idempotency_key) do nothing returning approved`,
      [
        key,
        operation,
        amountCents,
        result.approved,
        result.approved ? result.reference : null,
        result.approved ? null : result.declineCode,
        this.clock.now(),
      ],
    );
    if (recorded) return result;
    const [seen] = await tx.query<Row>(
      'select approved, reference, decline_code from payments.gateway_operations where idempotency_key = $1',
      [key],
    );
    return seen!.approved ? { approved: true, reference: seen!.reference! } : { approved: false, declineCode: seen!.decline_code };
  }

  authorize(tx: Sql, key: string, token: string, amountCents: number) {
    return this.#once(tx, key, 'authorize', amountCents, () => {
      if (token.startsWith('tok_sandbox_declined_')) return { approved: false, declineCode: 'CARD_DECLINED' };
      if (token.startsWith('tok_sandbox_insufficient_')) return { approved: false, declineCode: 'INSUFFICIENT_FUNDS' };
      return { approved: true, reference: `auth_${this.ids.uuid()}` };
    });
  }
  capture(tx: Sql, key: string, _authorizationRef: string, amountCents: number) {
    return this.#once(tx, key, 'capture', amountCents, () => ({ approved: true, reference: `ch_${this.ids.uuid()}` }));
  }
  void(tx: Sql, key: string, _authorizationRef: string) {
    return this.#once(tx, key, 'void', 0, () => ({ approved: true, reference: `void_${this.ids.uuid()}` }));
  }
  refund(tx: Sql, key: string, _authorizationRef: string, amountCents: number) {
    return this.#once(tx, key, 'refund', amountCents, () => ({ approved: true, reference: `re_${this.ids.uuid()}` }));
  }
  transfer(tx: Sql, key: string, _accountId: string, amountCents: number) {
    return this.#once(tx, key, 'transfer', amountCents, () => ({ approved: true, reference: `tr_${this.ids.uuid()}` }));
  }
}

/**
 * The retention of the sandbox gateway's records (`payments.gateway_operations`), as a processor
 * keeps idempotency keys for a while: records older than `retentionMs` (the inbox's), oldest first.
 * A key is asked again only when the payment service handles a command again before its payment's
 * state records the outcome, which is in the same transaction as the gateway's record: a chunk
 * retried one message at a time, or a copy of a command, which the inbox's retention covers. Every
 * later command about the payment is decided by its state, not by the gateway.
 */
export function gatewayRetention(db: Db, clock: Clock, retentionMs: number): PruneTask {
  return pruneStatement(
    db,
    'payments.gateway_operations',
    olderThan(clock, retentionMs),
    `with oldest as (
       select idempotency_key from payments.gateway_operations where created_at < $1 order by created_at limit $2
     ), gone as (
       delete from payments.gateway_operations g using oldest o where g.idempotency_key = o.idempotency_key returning 1
     )
     select count(*)::int as n from gone`,
  );
}
