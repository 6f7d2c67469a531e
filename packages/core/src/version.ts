import { readFileSync } from 'node:fs';
import { MinicloudError } from './errors.js';

// The platform's one version: core's package.json, which the root and the api and cli packages
// match (a unit test holds them together). What `minicloud version` and GET /health print, and
// what `platform init` records in config/platform.json to refuse a downgrade.

/** src/ and dist/ both sit next to core's package.json. */
export function platformVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

/**
 * Orders two versions as semver does for what minicloud uses (MAJOR.MINOR.PATCH with an
 * optional -pre release, which sorts before its release): negative, zero or positive.
 */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a, b].map((v) => {
    const m = SEMVER.exec(v);
    if (!m) throw new MinicloudError('MC_PLATFORM_INVALID', `"${v}" is not a version (MAJOR.MINOR.PATCH)`);
    return m;
  }) as [RegExpExecArray, RegExpExecArray];
  for (const i of [1, 2, 3]) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  const [ra, rb] = [pa[4], pb[4]];
  if (ra === rb) return 0;
  if (ra === undefined) return 1;
  if (rb === undefined) return -1;
  return comparePre(ra.split('.'), rb.split('.'));
}

/** Pre-release identifiers one by one: numbers by value and before words, words by text. */
function comparePre(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (x === y) continue;
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
