/**
 * The sessions of the open streams of one instance (`LiveSessions`): a stream ends when its token
 * is revoked (`user.session_revoked` on the instance's own subscription) or expires.
 */
import type { TypedMessage } from '@campusg/contracts';
import type { Followed } from '@campusg/messaging';
import { randomIds } from '@campusg/platform';
import { describe, expect, it } from 'vitest';
import { type LiveEvent, LiveHub, LiveSessions } from '../src/index.ts';

const uuid = () => randomIds.uuid();
const HOUR = 3600_000;

/** One instance's sessions on a clock the test sets; the tokens it ended, and a wait for the next. */
function instance(at = Date.now()) {
  const hub = new LiveHub();
  const ended: string[] = [];
  const waiting: Array<() => void> = [];
  hub.subscribe((e: LiveEvent) => {
    if (e.kind !== 'session_ended') return;
    ended.push(e.tokenId);
    for (const w of waiting.splice(0)) w();
  });
  const sessions = new LiveSessions(hub, { now: () => new Date(at) });
  const nextEnd = () => new Promise<void>((resolve) => waiting.push(resolve));
  return { sessions, ended, nextEnd };
}

function revocation(tokenId: string, expiresAt: number): Followed[] {
  const message = {
    message_id: uuid(),
    type: 'user.session_revoked',
    payload: { user_id: uuid(), token_id: tokenId, expires_at: new Date(expiresAt).toISOString() },
  } as unknown as TypedMessage;
  return [{ message } as Followed];
}

describe('live sessions', () => {
  it('ends the streams of a revoked token at once, and only those', () => {
    const now = Date.now();
    const here = instance(now);
    const [revoked, kept] = [uuid(), uuid()];
    here.sessions.opened(revoked, new Date(now + HOUR));
    here.sessions.opened(revoked, new Date(now + HOUR));
    here.sessions.opened(kept, new Date(now + HOUR));
    here.sessions.receive(revocation(uuid(), now + HOUR));
    expect(here.ended).toEqual([]);
    here.sessions.receive(revocation(revoked, now + HOUR));
    expect(here.ended).toEqual([revoked]);
    expect(here.sessions.size).toBe(1);
    here.sessions.stop();
  });

  it('ends a stream when its token expires', async () => {
    const now = Date.now();
    const here = instance(now);
    const token = uuid();
    const ended = here.nextEnd();
    here.sessions.opened(token, new Date(now + 30));
    expect(here.ended).toEqual([]);
    await ended;
    expect(here.ended).toEqual([token]);
    expect(here.sessions.size).toBe(0);
  });

  it('ends a stream opened with a token revoked a moment before', async () => {
    const now = Date.now();
    const here = instance(now);
    const token = uuid();
    here.sessions.receive(revocation(token, now + HOUR));
    const ended = here.nextEnd();
    here.sessions.opened(token, new Date(now + HOUR));
    await ended;
    expect(here.ended).toEqual([token]);
  });

  it('forgets a closed stream: neither its revocation nor its expiry ends anything', async () => {
    const now = Date.now();
    const here = instance(now);
    const [revoked, expiring, open] = [uuid(), uuid(), uuid()];
    const closeRevoked = here.sessions.opened(revoked, new Date(now + HOUR));
    closeRevoked();
    closeRevoked();
    here.sessions.opened(expiring, new Date(now + 20))();
    here.sessions.receive(revocation(revoked, now + HOUR));
    // A later expiry still fires: anything the closed ones were to end would have come before it.
    const ended = here.nextEnd();
    here.sessions.opened(open, new Date(now + 60));
    await ended;
    expect(here.ended).toEqual([open]);
  });
});
