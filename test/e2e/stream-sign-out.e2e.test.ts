import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeChecked } from '../support/invariants.ts';
import { openStream } from '../support/sse.ts';
import { startSharedSystem, type TestSystem } from '../support/system.ts';

/**
 * A live stream lives as long as the session that opened it (docs/http-api.md, "Live updates"):
 * signing out revokes the token, `user.session_revoked` reaches the notification service over the
 * bus, and the stream of that token ends. The user's other sessions keep theirs.
 */
let sys: TestSystem;
beforeAll(async () => {
  sys = await startSharedSystem();
});
afterAll(() => closeChecked(sys));

describe('signing out ends the live stream', () => {
  it('ends the stream of the signed-out token, and only that one', async () => {
    const first = await (await sys.client().register('Stella')).addCard();
    const login = await sys.client().post('/api/auth/login', { email: first.user.email, password: 'correct horse' });
    expect(login.status).toBe(200);
    const second = sys.client();
    second.token = login.body.token;

    const signedOut = await openStream(sys.url, first.token!);
    const stays = await openStream(sys.url, second.token!);
    try {
      expect((await first.post('/api/auth/logout')).status).toBe(204);
      await signedOut.untilEnded('the signed-out session to lose its stream');
      // The token opens no new stream either.
      const again = await fetch(`${sys.url}/api/stream`, { headers: { authorization: `Bearer ${first.token}` } });
      expect(again.status).toBe(401);
      await again.body?.cancel();

      // The other session's stream is still open and still told about the user's orders.
      const { orderId, sagaId } = await second.createOrder();
      await second.saga(sagaId);
      await stays.next((e) => e.event === 'order' && e.data.id === orderId && e.data.status === 'CREATED', 'the order on the other stream');
      expect(stays.ended).toBe(false);
      expect(signedOut.events.some((e) => e.event === 'order' && e.data.id === orderId)).toBe(false);
    } finally {
      await signedOut.close();
      await stays.close();
    }
  });
});
