// Compose strings to the integers of the Engine API, as docker/cli converts them:
// durations with Go's time.ParseDuration, sizes with go-units RAMInBytes (binary units), CPUs
// with opts.ParseCPUs. Each returns undefined for text it cannot read; the caller names the field.

const NS_PER: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const DURATION = /^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$/;
const DURATION_PART = /([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/g;

/** "1m30s" -> 90000000000. Exact integer arithmetic; a fraction below 1ns is dropped, as in Go. */
export function durationToNanos(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0n;
  for (const [, whole = '', fraction = '', unit = ''] of text.matchAll(DURATION_PART)) {
    const per = NS_PER[unit]!;
    total += BigInt(whole || '0') * per;
    if (fraction !== '') total += (BigInt(fraction) * per) / 10n ** BigInt(fraction.length);
  }
  return Number(total);
}

const SIZE = /^([0-9]+(?:\.[0-9]+)?) ?([kmgtp])?i?b?$/i;
const POWER: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

/** "128M", "1.5g", "512MiB", "1048576" -> bytes; k, m, g are powers of 1024, as docker reads them. */
export function sizeToBytes(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  return Math.trunc(Number(match[1]) * 1024 ** POWER[(match[2] ?? '').toLowerCase()]!);
}

/** "0.25" -> 250000000 billionths of a CPU; more than nine decimals is "too precise". */
export function cpusToNano(text: string): number | undefined {
  const match = /^([0-9]*)(?:\.([0-9]*))?$/.exec(text);
  if (!match || text === '' || text === '.') return undefined;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > 9) return undefined;
  return Number(BigInt(match[1] || '0') * 1_000_000_000n + BigInt(fraction.padEnd(9, '0')));
}
