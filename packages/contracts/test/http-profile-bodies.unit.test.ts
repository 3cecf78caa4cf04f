import { describe, expect, it } from 'vitest';
import { listOrdersQuery, payoutAccountBody, profileBody, queriedStatuses, ratingBody } from '../src/index.ts';
import { firstError } from './http-support.ts';

/** The bodies of the profile, the payout account and ratings, and the order list's search. */

describe('PATCH /api/me', () => {
  it('takes a name, a phone, both or neither, and null to remove the phone', () => {
    expect(profileBody.parse({})).toEqual({});
    expect(profileBody.parse({ name: ' Pat ', phone: ' +65 9123-4567 ' })).toEqual({ name: 'Pat', phone: '+65 9123-4567' });
    expect(profileBody.parse({ phone: null })).toEqual({ phone: null });
  });

  it.each([
    ['12345', 'must be between 6 and 20 characters'],
    ['1'.repeat(21), 'must be between 6 and 20 characters'],
    ['call me!', 'may contain only digits, spaces, "+" and "-"'],
    ['+ - + - +', 'may contain only digits, spaces, "+" and "-"'],
    [65, 'must be a string or null'],
  ])('refuses the phone %j: %s', (phone, message) => {
    expect(firstError(profileBody, { phone })).toEqual({ path: 'phone', message });
  });

  it('refuses an empty or over-long name', () => {
    expect(firstError(profileBody, { name: '  ' })).toEqual({ path: 'name', message: 'must not be empty' });
    expect(firstError(profileBody, { name: 'x'.repeat(101) })).toEqual({ path: 'name', message: 'must be at most 100 characters' });
  });
});

describe('PUT /api/me/payout-account', () => {
  it('takes 6 to 20 digits', () => {
    expect(payoutAccountBody.parse({ accountNumber: ' 001234 ' })).toEqual({ accountNumber: '001234' });
    for (const accountNumber of ['12345', '1'.repeat(21), '1234 5678', 'abcdef']) {
      expect(firstError(payoutAccountBody, { accountNumber })).toEqual({ path: 'accountNumber', message: 'must be 6 to 20 digits' });
    }
  });
});

describe('POST /api/orders/{id}/rating', () => {
  it('takes 1 to 5 whole stars and a comment of up to 200 characters', () => {
    expect(ratingBody.parse({ stars: 1 })).toEqual({ stars: 1 });
    expect(ratingBody.parse({ stars: 5, comment: ' great ' })).toEqual({ stars: 5, comment: 'great' });
    for (const stars of [0, 6, 2.5, '5', undefined]) expect(firstError(ratingBody, { stars })?.path).toBe('stars');
    expect(firstError(ratingBody, { stars: 3, comment: 'x'.repeat(201) })).toEqual({
      path: 'comment',
      message: 'must be at most 200 characters',
    });
  });
});

describe('GET /api/orders', () => {
  it('takes one status, several, or none, and a search of 1 to 100 characters', () => {
    expect(queriedStatuses(listOrdersQuery.parse({}).status)).toBeUndefined();
    expect(queriedStatuses(listOrdersQuery.parse({ status: 'CREATED' }).status)).toEqual(['CREATED']);
    expect(queriedStatuses(listOrdersQuery.parse({ status: ['CREATED', 'CANCELLED'] }).status)).toEqual(['CREATED', 'CANCELLED']);
    expect(listOrdersQuery.safeParse({ status: ['CREATED', 'LOST'] }).success).toBe(false);
    expect(listOrdersQuery.parse({ q: ' rice ' }).q).toBe('rice');
    expect(listOrdersQuery.safeParse({ q: '' }).success).toBe(false);
    expect(listOrdersQuery.safeParse({ q: 'x'.repeat(101) }).success).toBe(false);
  });
});
