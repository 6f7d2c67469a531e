// The HTTP-01 key authorizations the platform is waiting for the ACME server to fetch, held in
// the API process (the proxy sends every /.well-known/acme-challenge/ request on port 80
// there). A token is answered only for the domain it was made for, and only while its order
// runs: nothing else, so no one can make the platform answer a challenge it did not start.

/** ACME tokens are base64url (RFC 8555 8.1); anything else is not ours to look up. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export class ChallengeResponses {
  readonly #pending = new Map<string, { domain: string; keyAuthorization: string }>();

  add(domain: string, token: string, keyAuthorization: string): void {
    this.#pending.set(token, { domain, keyAuthorization });
  }

  remove(token: string): void {
    this.#pending.delete(token);
  }

  /** The key authorization for the token, if it is pending for exactly this host. */
  answer(host: string, token: string): string | undefined {
    if (!TOKEN.test(token)) return undefined;
    const pending = this.#pending.get(token);
    return pending && pending.domain === host.toLowerCase() ? pending.keyAuthorization : undefined;
  }

  get size(): number {
    return this.#pending.size;
  }
}
