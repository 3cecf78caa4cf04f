import { describe, expect, it } from 'vitest';
import { sampleOrderBody } from '../../../test/support/fixtures.ts';
import {
  availableOrdersQuery,
  createOrderBody,
  createOrderHeaders,
  idParams,
  listOrdersQuery,
  notificationsQuery,
  progressBody,
} from '../src/index.ts';
import { firstError, ID } from './http-support.ts';

/** What a request about orders may carry: the new-order body and header, queries, path ids, progress. */

describe('createOrderBody', () => {
  const item = { name: 'Chicken rice', quantity: 2, priceCents: 450 };
  const body = sampleOrderBody({ items: [item] });
  const withItem = (patch: object) => ({ ...body, items: [{ ...item, ...patch }] });

  it('accepts the documented body and drops unknown fields', () => {
    expect(createOrderBody.parse({ ...body, totalCents: 1, extra: true })).toEqual(body);
  });

  it('accepts missing or null instructions and exactly 200 characters', () => {
    const { instructions: _omitted, ...without } = body;
    expect(createOrderBody.safeParse(without).success).toBe(true);
    expect(createOrderBody.safeParse({ ...body, instructions: null }).success).toBe(true);
    expect(createOrderBody.safeParse({ ...body, instructions: 'i'.repeat(200) }).success).toBe(true);
  });

  it('reports a bad quantity the way the contract shows it', () => {
    expect(firstError(createOrderBody, withItem({ quantity: 0 }))).toEqual({
      path: 'items[0].quantity',
      message: 'must be an integer between 1 and 99',
    });
  });

  it.each([
    ['quantity', 0],
    ['quantity', 100],
    ['quantity', 1.5],
    ['quantity', '2'],
    ['priceCents', -1],
    ['priceCents', 100001],
    ['name', ''],
    ['name', 'n'.repeat(101)],
  ])('rejects items[0].%s = %j', (field, value) => {
    expect(firstError(createOrderBody, withItem({ [field]: value }))?.path).toBe(`items[0].${field}`);
  });

  it('accepts the item bounds', () => {
    expect(createOrderBody.safeParse(withItem({ quantity: 1, priceCents: 0 })).success).toBe(true);
    expect(createOrderBody.safeParse(withItem({ quantity: 99, priceCents: 100000 })).success).toBe(true);
  });

  it('accepts a delivery fee of 100 and 5000 and rejects 99 and 5001', () => {
    expect(createOrderBody.safeParse({ ...body, deliveryFeeCents: 100 }).success).toBe(true);
    expect(createOrderBody.safeParse({ ...body, deliveryFeeCents: 5000 }).success).toBe(true);
    for (const fee of [99, 5001]) {
      expect(firstError(createOrderBody, { ...body, deliveryFeeCents: fee })).toEqual({
        path: 'deliveryFeeCents',
        message: 'must be an integer between 100 and 5000',
      });
    }
  });

  it('accepts 1 and 50 items and rejects 0 and 51', () => {
    const items = (n: number) => ({ ...body, items: Array.from({ length: n }, () => item) });
    expect(createOrderBody.safeParse(items(1)).success).toBe(true);
    expect(createOrderBody.safeParse(items(50)).success).toBe(true);
    expect(firstError(createOrderBody, items(0))).toEqual({
      path: 'items',
      message: 'must have between 1 and 50 items',
    });
    expect(firstError(createOrderBody, items(51))?.path).toBe('items');
  });

  it('rejects instructions of 201 characters', () => {
    expect(firstError(createOrderBody, { ...body, instructions: 'i'.repeat(201) })).toEqual({
      path: 'instructions',
      message: 'must be at most 200 characters',
    });
  });

  it.each([
    ['store.name', { ...body, store: { ...body.store, name: 'n'.repeat(101) } }],
    ['store.location', { ...body, store: { ...body.store, location: 'l'.repeat(201) } }],
    ['deliveryLocation.building', { ...body, deliveryLocation: { ...body.deliveryLocation, building: '' } }],
    ['deliveryLocation.room', { ...body, deliveryLocation: { ...body.deliveryLocation, room: 'r'.repeat(51) } }],
    ['store', { ...body, store: 'Koufu' }],
    ['items', { ...body, items: 'rice' }],
  ])('rejects a bad %s', (path, value) => {
    expect(firstError(createOrderBody, value)?.path).toBe(path);
  });

  it('reports a body that is not an object at the root', () => {
    expect(firstError(createOrderBody, 'order')?.path).toBe('');
  });

  it('bounds the Idempotency-Key header at 1–255 characters', () => {
    expect(createOrderHeaders.parse({})).toEqual({});
    expect(createOrderHeaders.safeParse({ 'idempotency-key': 'k'.repeat(255) }).success).toBe(true);
    expect(createOrderHeaders.safeParse({ 'idempotency-key': '' }).success).toBe(false);
    expect(createOrderHeaders.safeParse({ 'idempotency-key': 'k'.repeat(256) }).success).toBe(false);
  });
});

describe('queries and params', () => {
  it('defaults and coerces the order list query', () => {
    expect(listOrdersQuery.parse({})).toEqual({ as: 'customer', limit: 20 });
    expect(listOrdersQuery.parse({ as: 'runner', status: 'CREATED', limit: '100', cursor: 'abc' })).toEqual({
      as: 'runner',
      status: 'CREATED',
      limit: 100,
      cursor: 'abc',
    });
  });

  it.each([
    ['limit', '0'],
    ['limit', '101'],
    ['limit', '1.5'],
    ['limit', 'ten'],
    ['as', 'admin'],
    ['status', 'SHIPPED'],
    ['cursor', 'c'.repeat(501)],
  ])('rejects %s = %j', (field, value) => {
    expect(firstError(listOrdersQuery, { [field]: value })?.path).toBe(field);
  });

  it('pages the available list with the same limit and cursor rules', () => {
    expect(availableOrdersQuery.parse({ limit: '5' })).toEqual({ limit: 5 });
    expect(availableOrdersQuery.safeParse({ limit: '0' }).success).toBe(false);
  });

  it('reads unread=true|false as a boolean and nothing else', () => {
    expect(notificationsQuery.parse({})).toEqual({});
    expect(notificationsQuery.parse({ unread: 'true' })).toEqual({ unread: true });
    expect(notificationsQuery.parse({ unread: 'false' })).toEqual({ unread: false });
    expect(notificationsQuery.safeParse({ unread: 'yes' }).success).toBe(false);
  });

  it('accepts only UUID ids', () => {
    expect(idParams.parse({ id: ID })).toEqual({ id: ID });
    expect(firstError(idParams, { id: '42' })).toEqual({ path: 'id', message: 'must be a UUID' });
  });

  it('accepts only the runner progress statuses', () => {
    for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED']) expect(progressBody.parse({ status })).toEqual({ status });
    expect(firstError(progressBody, { status: 'COMPLETED' })).toEqual({
      path: 'status',
      message: 'must be one of PLACED, ON_THE_WAY, DELIVERED',
    });
  });
});
