import { promises as dns } from 'node:dns';
import type { DnsFinding } from './problems.js';

/**
 * What this machine's resolver says of a domain, for an error message: its IPv4 addresses,
 * or why there are none. Never throws; gives up after `timeoutMs`.
 */
export async function lookUpDomain(
  domain: string,
  serverAddress: string | undefined,
  timeoutMs = 5000,
): Promise<DnsFinding> {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  try {
    return { addresses: (await resolver.resolve4(domain)).sort(), serverAddress };
  } catch (error) {
    return { addresses: [], serverAddress, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}
