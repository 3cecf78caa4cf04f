import type { PayloadOf } from '@campusg/contracts';
import type { Followed } from '@campusg/messaging';
import type { Clock } from '@campusg/platform';
import type { LiveHub } from './live-hub.ts';

/** The longest delay `setTimeout` keeps (about 24.8 days); a later expiry is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Revocations remembered for streams not yet registered (see `opened`); the oldest go first. */
const REMEMBERED = 10_000;

interface OpenSession {
  streams: number;
  timer: NodeJS.Timeout;
}

/**
 * The sessions behind this instance's open `/api/stream` connections, so that a stream ends when
 * its session does: at its token's expiry (a timer per session), or at its sign-out. Every instance
 * hears of a sign-out itself: `user.session_revoked` comes on the instance's own ephemeral
 * subscription (`receive`), whichever instance's consumer group handles it, so no instance waits
 * for another or asks the database.
 */
export class LiveSessions {
  readonly #open = new Map<string, OpenSession>();
  /** Tokens revoked while this instance listened (token id → expiry, ms), so a stream opened just after is ended too. */
  readonly #revoked = new Map<string, number>();

  constructor(
    private readonly hub: LiveHub,
    private readonly clock: Clock,
  ) {}

  /**
   * A stream of `tokenId` opened; the returned function says it closed. A token already expired,
   * or revoked between its check and this call, ends the stream at once (on the next turn of the
   * event loop, once the caller listens to the hub).
   */
  opened(tokenId: string, expiresAt: Date): () => void {
    const s = this.#open.get(tokenId) ?? { streams: 0, timer: this.#endAt(tokenId, this.#revoked.has(tokenId) ? 0 : expiresAt.getTime()) };
    this.#open.set(tokenId, s);
    s.streams++;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      if (--s.streams === 0 && this.#open.get(tokenId) === s) {
        clearTimeout(s.timer);
        this.#open.delete(tokenId);
      }
    };
  }

  /** Messages of this instance's ephemeral subscription: a sign-out ends the token's streams here. */
  receive(items: Followed[]): void {
    for (const { message } of items) {
      if (message.type !== 'user.session_revoked') continue;
      const p = message.payload as PayloadOf<'user.session_revoked'>;
      this.#remember(p.token_id, Date.parse(p.expires_at));
      if (this.#open.has(p.token_id)) this.#end(p.token_id);
    }
  }

  /** Open sessions (distinct tokens with a stream). */
  get size(): number {
    return this.#open.size;
  }

  stop(): void {
    for (const s of this.#open.values()) clearTimeout(s.timer);
    this.#open.clear();
  }

  #endAt(tokenId: string, at: number): NodeJS.Timeout {
    const wait = Math.max(0, at - this.clock.now().getTime());
    return setTimeout(
      () => {
        const s = this.#open.get(tokenId);
        if (!s) return;
        if (wait > MAX_TIMER_MS) s.timer = this.#endAt(tokenId, at);
        else this.#end(tokenId);
      },
      Math.min(wait, MAX_TIMER_MS),
    ).unref();
  }

  #end(tokenId: string): void {
    const s = this.#open.get(tokenId);
    if (s) clearTimeout(s.timer);
    this.#open.delete(tokenId);
    this.hub.publish({ kind: 'session_ended', tokenId });
  }

  #remember(tokenId: string, expiresAt: number): void {
    const now = this.clock.now().getTime();
    if (!(expiresAt > now)) return;
    this.#revoked.delete(tokenId);
    this.#revoked.set(tokenId, expiresAt);
    // A Map iterates in insertion order: drop from the oldest revocation on while it has expired or the
    // map is over its bound (one expired behind a live one waits for its turn).
    for (const [id, at] of this.#revoked) {
      if (at > now && this.#revoked.size <= REMEMBERED) break;
      this.#revoked.delete(id);
    }
  }
}
