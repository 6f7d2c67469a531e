import { InvalidArgumentError } from 'commander';

/** Repeatable option: `--domain a --domain b` -> ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function integer(value: string): number {
  if (!/^-?[0-9]+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}
