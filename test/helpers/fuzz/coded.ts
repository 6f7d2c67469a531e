import { isMinicloudError, type ErrorCode } from '@minicloud/core';

// The property every pure entry point keeps under bad input: it returns, or it throws a coded
// MinicloudError of the kinds it is documented to raise, whose details name the field (a
// path, '' for the document itself) and say what is wrong. Anything else is a crash.

export function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** fn()'s value, or undefined when it threw an allowed coded error; throws a crash report otherwise. */
export function codedOrValue<T>(what: string, codes: readonly ErrorCode[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (!isMinicloudError(error)) {
      const e = error as Error;
      throw new Error(`${what} crashed: ${e?.name}: ${e?.message}\n${e?.stack?.split('\n').slice(1, 4).join('\n')}`);
    }
    if (!codes.includes(error.code))
      throw new Error(`${what} threw ${error.code} (want ${codes.join(' or ')}): ${error.message}`);
    if (error.details.length === 0) throw new Error(`${what} threw ${error.code} naming no field: ${error.message}`);
    for (const d of error.details) {
      if (typeof d.path !== 'string' || typeof d.message !== 'string' || d.message === '')
        throw new Error(`${what} threw ${error.code} with a malformed detail ${describe(d)}`);
    }
    return undefined;
  }
}
