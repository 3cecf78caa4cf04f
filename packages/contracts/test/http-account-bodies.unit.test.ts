import { describe, expect, it } from 'vitest';
import { cardBody, cardBrand, isCardExpired, loginBody, luhnValid, registerBody } from '../src/index.ts';
import { firstError } from './http-support.ts';

/** The request bodies of accounts: register, login and the card. */

describe('auth bodies', () => {
  const register = { email: 'alice@smu.edu.sg', password: 'correct horse', name: 'Alice' };

  it('accepts a registration and normalises email and name', () => {
    expect(registerBody.parse({ ...register, email: '  Alice@SMU.edu.sg ', name: ' Alice ' })).toEqual(register);
  });

  it('accepts an email of exactly 254 characters and rejects 255', () => {
    const email = (length: number) => `${'a'.repeat(length - '@campus.edu'.length)}@campus.edu`;
    expect(registerBody.safeParse({ ...register, email: email(254) }).success).toBe(true);
    expect(firstError(registerBody, { ...register, email: email(255) })).toEqual({
      path: 'email',
      message: 'must be at most 254 characters',
    });
  });

  it.each(['not-an-email', 'a@b', '@campus.edu', 'a b@campus.edu', ''])('rejects the email %j', (email) => {
    expect(registerBody.safeParse({ ...register, email }).success).toBe(false);
  });

  it('accepts passwords of 8 and 128 characters and rejects 7 and 129', () => {
    expect(registerBody.safeParse({ ...register, password: 'p'.repeat(8) }).success).toBe(true);
    expect(registerBody.safeParse({ ...register, password: 'p'.repeat(128) }).success).toBe(true);
    for (const length of [7, 129]) {
      expect(firstError(registerBody, { ...register, password: 'p'.repeat(length) })).toEqual({
        path: 'password',
        message: 'must be between 8 and 128 characters',
      });
    }
  });

  it('rejects a blank or over-long name', () => {
    expect(firstError(registerBody, { ...register, name: '   ' })?.path).toBe('name');
    expect(firstError(registerBody, { ...register, name: 'n'.repeat(101) })?.path).toBe('name');
    expect(registerBody.safeParse({ ...register, name: 'n'.repeat(100) }).success).toBe(true);
  });

  it('says which field is missing', () => {
    expect(firstError(registerBody, { email: register.email, name: 'Alice' })).toEqual({
      path: 'password',
      message: 'is required',
    });
  });

  it('accepts a login and bounds the password at 1–128 characters', () => {
    expect(loginBody.parse({ email: ' ALICE@smu.edu.sg', password: 'x' })).toEqual({
      email: 'alice@smu.edu.sg',
      password: 'x',
    });
    expect(loginBody.safeParse({ email: 'alice@smu.edu.sg', password: '' }).success).toBe(false);
    expect(loginBody.safeParse({ email: 'alice@smu.edu.sg', password: 'p'.repeat(129) }).success).toBe(false);
  });
});

describe('card', () => {
  const card = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };

  it('accepts a Luhn-valid number and strips spaces', () => {
    expect(cardBody.parse(card)).toEqual(card);
    expect(cardBody.parse({ ...card, number: '4242 4242 4242 4242' }).number).toBe('4242424242424242');
  });

  it('rejects a number failing the Luhn check', () => {
    expect(firstError(cardBody, { ...card, number: '4242424242424241' })).toEqual({
      path: 'number',
      message: 'must pass the Luhn check',
    });
  });

  it.each(['42424242424', '42424242424242424242', '4242-4242-4242-4242', 'abcdabcdabcdabcd'])(
    'rejects the number %j with a single length/digits error',
    (number) => {
      const result = cardBody.safeParse({ ...card, number });
      expect(result.error?.issues.map((i) => i.message)).toEqual(['must be 12 to 19 digits']);
    },
  );

  it.each([
    ['expMonth', 0],
    ['expMonth', 13],
    ['expMonth', 1.5],
    ['expYear', 1999],
    ['expYear', 2101],
    ['cvc', '12'],
    ['cvc', '12345'],
    ['cvc', 'abc'],
    ['cvc', 123],
  ])('rejects %s = %j', (field, value) => {
    expect(firstError(cardBody, { ...card, [field]: value })?.path).toBe(field);
  });

  it('accepts 3- and 4-digit CVCs and the month/year bounds', () => {
    expect(cardBody.safeParse({ ...card, cvc: '1234', expMonth: 1, expYear: 2100 }).success).toBe(true);
  });

  it('checks Luhn on the sandbox cards', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(luhnValid('4000000000000002')).toBe(true);
    expect(luhnValid('4000000000009995')).toBe(true);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('4242x42424242424')).toBe(false);
  });

  it.each([
    ['4242424242424242', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['3530111333300000', 'unknown'],
  ])('brands %s as %s', (number, brand) => {
    expect(cardBrand(number)).toBe(brand);
  });

  it('treats a card as valid through the last instant of its expiry month (UTC)', () => {
    expect(isCardExpired(11, 2026, new Date('2026-11-30T23:59:59.999Z'))).toBe(false);
    expect(isCardExpired(11, 2026, new Date('2026-12-01T00:00:00.000Z'))).toBe(true);
    expect(isCardExpired(12, 2025, new Date('2026-01-15T00:00:00.000Z'))).toBe(true);
    expect(isCardExpired(1, 2027, new Date('2026-12-31T00:00:00.000Z'))).toBe(false);
  });
});
