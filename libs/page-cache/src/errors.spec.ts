import {
  CacheLockTimeoutError,
  cacheErrorCode,
  CounterRangeError,
  isAnsweredByStore,
  StoreEpochUnknownError,
  StoreReconnectedError,
  StoreTimeoutError,
  StoreUnavailableError,
  StoreValueError,
} from './errors.js';

describe('cache errors', () => {
  it('carry stable codes, read whatever their message says', () => {
    expect(
      [
        new StoreTimeoutError(100),
        new StoreUnavailableError(),
        new StoreEpochUnknownError(),
        new StoreReconnectedError(),
        new StoreValueError('E_NOT_AN_INTEGER', 'k'),
        new StoreValueError('E_WRONG_TYPE', 'k'),
        new CounterRangeError('k'),
        new CacheLockTimeoutError('l', 5),
      ].map(cacheErrorCode),
    ).toEqual([
      'E_STORE_TIMEOUT',
      'E_STORE_UNAVAILABLE',
      'E_STORE_EPOCH_UNKNOWN',
      'E_STORE_RECONNECTED',
      'E_NOT_AN_INTEGER',
      'E_WRONG_TYPE',
      'E_COUNTER_RANGE',
      'E_LOCK_TIMEOUT',
    ]);
  });

  it('know no code of anyone else (an error that says the same words, or has another code)', () => {
    expect(cacheErrorCode(new Error('ERR value is not an integer or out of range'))).toBe(
      undefined,
    );
    expect(cacheErrorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(undefined);
    expect(cacheErrorCode(undefined)).toBe(undefined);
  });

  it('tell what the store answered from what never reached it', () => {
    expect(isAnsweredByStore(new StoreValueError('E_WRONG_TYPE', 'k'))).toBe(true);
    expect(isAnsweredByStore(new StoreReconnectedError())).toBe(true);
    expect(isAnsweredByStore(new StoreTimeoutError(100))).toBe(false);
    expect(isAnsweredByStore(new Error('not an integer'))).toBe(false);
  });
});
