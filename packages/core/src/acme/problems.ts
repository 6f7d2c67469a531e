// An ACME server's complaint as a sentence an operator can act on. Problem types are RFC 8555's
// (urn:ietf:params:acme:error:<type>); where the client library gives only the server's detail
// text, the type is guessed from it. Pure: the DNS look-up is done by the caller (dns-check.ts).

const PREFIX = 'urn:ietf:params:acme:error:';

export interface AcmeProblem {
  /** The problem type, with or without its urn prefix, when known. */
  type?: string | undefined;
  /** The server's own words (or the client's). */
  detail: string;
}

/** What this machine's resolver says of the domain, for the message. */
export interface DnsFinding {
  /** The IPv4 addresses the domain resolves to here (empty: none). */
  addresses: string[];
  /** This server's public address, when the platform knows it. */
  serverAddress?: string | undefined;
  /** Why the look-up failed (NXDOMAIN, a timeout...), when it did. */
  error?: string | undefined;
}

type Kind = 'dns' | 'connection' | 'unauthorized' | 'rateLimited' | 'caa' | 'other';

function kindOf(problem: AcmeProblem): Kind {
  const type = (problem.type ?? '').replace(PREFIX, '');
  if (type === 'dns') return 'dns';
  if (type === 'connection' || type === 'incorrectResponse' || type === 'tls') return 'connection';
  if (type === 'unauthorized') return 'unauthorized';
  if (type === 'rateLimited') return 'rateLimited';
  if (type === 'caa') return 'caa';
  const d = problem.detail;
  if (/rate limit|too many (certificates|failed|new orders|requests)/i.test(d)) return 'rateLimited';
  if (/DNS problem|NXDOMAIN|no valid A records|SERVFAIL/i.test(d)) return 'dns';
  if (/connection refused|timeout|timed out|connect|no route/i.test(d)) return 'connection';
  if (/invalid response|unauthorized|404|key authorization/i.test(d)) return 'unauthorized';
  return 'other';
}

/** What DNS says, when it explains the failure: points elsewhere, or nowhere. */
function dnsSentence(domain: string, dns: DnsFinding | undefined): string | undefined {
  if (!dns) return undefined;
  if (dns.error !== undefined || dns.addresses.length === 0)
    return `DNS for ${domain} has no address here${dns.error ? ` (${dns.error})` : ''}: add an A record pointing to ${dns.serverAddress ?? 'this server'}`;
  if (dns.serverAddress !== undefined && !dns.addresses.includes(dns.serverAddress))
    return `DNS for ${domain} points to ${dns.addresses.join(', ')}, not this server (${dns.serverAddress})`;
  return undefined;
}

/**
 * One line: what went wrong, what DNS says when it explains it, and the server's own words.
 * E.g. "DNS for shop.example.com points to 203.0.113.9, not this server (198.51.100.4); the
 * CA could not connect to shop.example.com on port 80 (...)".
 */
export function describeAcmeProblem(domain: string, problem: AcmeProblem, dns?: DnsFinding): string {
  const detail = problem.detail.replace(/\s+/g, ' ').trim();
  const said = detail ? ` (the CA said: ${detail})` : '';
  const dnsNote = dnsSentence(domain, dns);
  const lead = (text: string) => (dnsNote ? `${dnsNote}; ${text}` : text);
  switch (kindOf(problem)) {
    case 'dns':
      return `${dnsNote ?? `the CA could not look up ${domain} in DNS: check its A record`}${said}`;
    case 'connection':
      return lead(
        `the CA could not reach ${domain} on port 80: DNS must point to this server and port 80 be open${said}`,
      );
    case 'unauthorized':
      return lead(
        `the CA reached ${domain} but not this platform's answer: DNS or a proxy in front points elsewhere${said}`,
      );
    case 'rateLimited':
      return `the CA refused more certificates for ${domain} for now (rate limit); the platform tries again later${said}`;
    case 'caa':
      return `a CAA record of ${domain} forbids this CA to issue for it${said}`;
    default:
      return lead(`ordering a certificate for ${domain} failed${said}`);
  }
}
