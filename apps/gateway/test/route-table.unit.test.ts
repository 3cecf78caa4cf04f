import { SERVICES } from '@campusg/host/services';
import { describe, expect, it } from 'vitest';
import { routeTable } from '../src/route-table.ts';

const UPSTREAMS = ['user', 'order', 'sagas', 'payment', 'notification', 'analytics'] as const;

// The gateway's routes of docs/http-api.md and the service each goes to.
const EXPECTED = [
  'POST /api/auth/register user public',
  'POST /api/auth/login user public',
  'POST /api/auth/logout user',
  'GET /api/me user',
  'PUT /api/me/card user',
  'DELETE /api/me/card user',
  'POST /api/me/runner user',
  'PATCH /api/me user',
  'GET,PUT /api/me/payout-account user',
  'POST /api/orders sagas',
  'POST /api/orders/:id/accept sagas',
  'POST /api/orders/:id/complete sagas',
  'POST /api/orders/:id/cancel sagas',
  'POST /api/orders/:id/release sagas',
  'GET /api/sagas/:id sagas',
  'GET,POST /admin/* sagas operator',
  'GET /api/orders order',
  'GET /api/orders/available order',
  'GET /api/orders/:id order',
  'POST /api/orders/:id/progress order',
  'POST /api/orders/:id/rating order',
  'GET /api/orders/:id/payment payment',
  'GET /api/wallet payment',
  'GET /api/orders/:id/timeline notification',
  'GET /api/notifications notification',
  'POST /api/notifications/:id/read notification',
  'GET /api/stream notification',
  'GET /admin/orders/:id/trace notification operator',
  'GET /admin/analytics analytics operator',
];

describe('the gateway route table', () => {
  it('is generated from the service manifests: every route to the service that answers it', () => {
    const table = routeTable(SERVICES, UPSTREAMS).map((r) =>
      [[r.method].flat().join(','), r.url, r.upstream, r.public ? 'public' : '', r.operator ? 'operator' : ''].filter(Boolean).join(' '),
    );
    expect(table.sort()).toEqual([...EXPECTED].sort());
  });

  it('refuses a service with routes and no upstream to send them to', () => {
    expect(() => routeTable(SERVICES, ['user'])).toThrow(/no upstream setting for the order service/);
  });
});
