import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { isInfrastructureError, isRetryable } from '../src/retry.ts';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('retry classification', () => {
  it('retries an AppError by its own flag', () => {
    expect(isRetryable(new AppError('TRANSIENT', 'busy'))).toBe(true);
    expect(isRetryable(new AppError('CONFLICT', 'no'))).toBe(false);
    expect(isRetryable(new AppError('INTERNAL', 'x', { retryable: true }))).toBe(true);
  });

  it('treats connection failures as both infrastructure and retryable', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '08006', '57P01', '53300']) {
      expect(isInfrastructureError(withCode(code))).toBe(true);
      expect(isRetryable(withCode(code))).toBe(true);
    }
  });

  it('retries serialization failures and deadlocks within the budget, not as infrastructure', () => {
    for (const code of ['40001', '40P01']) {
      expect(isRetryable(withCode(code))).toBe(true);
      expect(isInfrastructureError(withCode(code))).toBe(false);
    }
  });

  it("knows node-postgres's lost-connection messages as infrastructure", () => {
    expect(isInfrastructureError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isInfrastructureError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isRetryable(new Error('Connection terminated unexpectedly'))).toBe(false);
  });

  it("retries the Kafka client's network and timeout errors, alone or gathered", () => {
    expect(isRetryable(withCode('PLT_KFK_NETWORK'))).toBe(true);
    expect(isRetryable(withCode('PLT_KFK_TIMEOUT'))).toBe(true);
    expect(
      isRetryable(
        Object.assign(new AggregateError([withCode('PLT_KFK_NETWORK'), withCode('PLT_KFK_TIMEOUT')]), { code: 'PLT_KFK_MULTIPLE' }),
      ),
    ).toBe(true);
    expect(
      isRetryable(Object.assign(new AggregateError([withCode('PLT_KFK_NETWORK'), new Error('a bug')]), { code: 'PLT_KFK_MULTIPLE' })),
    ).toBe(false);
    expect(isRetryable(withCode('PLT_KFK_USER'))).toBe(false);
    expect(isInfrastructureError(withCode('PLT_KFK_NETWORK'))).toBe(false);
  });

  it('sends anything else to the dead-letter topic', () => {
    for (const err of [new Error('boom'), withCode('23505'), null, undefined, 'text']) {
      expect(isRetryable(err)).toBe(false);
      expect(isInfrastructureError(err)).toBe(false);
    }
  });
});
