import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * Wraps a secret so that logging, string conversion, JSON and util.inspect all print
 * `[redacted]`. The value is only reachable through an explicit `reveal()`, which makes
 * every place that writes a secret easy to find.
 */
export class Sensitive<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export function sensitive<T>(value: T): Sensitive<T> {
  return new Sensitive(value);
}
