const FACTORS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Compose-style sizes (`128M`, `1g`, `512mb`) to bytes, the way Docker reads them (binary units). */
export function parseMemory(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)([bkmg]?)b?$/i.exec(text);
  if (!match) return Number.NaN;
  return Math.floor(Number(match[1]) * (FACTORS[match[2]!.toLowerCase()] ?? Number.NaN));
}
