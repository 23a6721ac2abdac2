import { describe, expect, it } from 'vitest';
import {
  AppError,
  badGateway,
  conflict,
  forbidden,
  internal,
  invalid,
  notFound,
  rangeNotSatisfiable,
  revived,
  tooLarge,
  tooManyRequests,
  unauthorized,
  unprocessable,
  unsupportedType,
} from './errors.js';

describe('error factories', () => {
  it('give each kind its status and keep code, message and detail', () => {
    const cases: [(code: string, message: string) => AppError, number][] = [
      [invalid, 400],
      [unauthorized, 401],
      [forbidden, 403],
      [notFound, 404],
      [conflict, 409],
      [tooLarge, 413],
      [unsupportedType, 415],
      [rangeNotSatisfiable, 416],
      [unprocessable, 422],
      [internal, 500],
      [badGateway, 502],
    ];
    for (const [factory, status] of cases) {
      const err = factory('x.y', 'message');
      expect(err).toBeInstanceOf(AppError);
      expect([err.status, err.code, err.message, err.detail, err.cause]).toEqual([
        status,
        'x.y',
        'message',
        undefined,
        undefined,
      ]);
    }
    const detailed = conflict('x.taken', 'taken', { name: 'a' });
    expect(detailed.detail).toEqual({ name: 'a' });
  });

  it('keep the cause, and none when it is undefined', () => {
    const cause = new Error('below');
    expect(internal('x.y', 'm', undefined, { cause }).cause).toBe(cause);
    expect('cause' in internal('x.y', 'm', undefined, { cause: undefined })).toBe(false);
  });

  it('put the retry-after seconds of a 429 in its detail', () => {
    const err = tooManyRequests('x.rate_limited', 'slow down', 30);
    expect([err.status, err.detail]).toEqual([429, { retryAfterSeconds: 30 }]);
  });

  it('revive an error from its code, status and message', () => {
    const err = revived({ code: 'x.y', status: 422, message: 'm' });
    expect([err.status, err.code, err.message]).toEqual([422, 'x.y', 'm']);
  });
});
