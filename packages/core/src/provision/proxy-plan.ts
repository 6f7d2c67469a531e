import type { CertificateFiles } from '../apps/ports.js';
import type { ProxyFiles } from '../proxy/render.js';

// What applying routes changes on disk, as data: the proxy controller reads the live files,
// this pure function says which to write and which to delete, and the controller does it.
// An empty plan means nothing to check and nothing to reload.

export interface LiveProxyFiles {
  /** The app-*.conf files now in conf.d, by file name. */
  confs: Record<string, string>;
  /** The certificate and key now on disk, for each domain asked about. */
  certs: Record<string, { cert?: string | undefined; key?: string | undefined }>;
  /** Every domain that has a directory under the TLS dir's domains/. */
  certDomains: string[];
}

export interface DesiredProxyFiles {
  confs: ProxyFiles;
  certificates: ReadonlyMap<string, CertificateFiles>;
  /** Domains some route serves: their certificates must stay. */
  routedDomains: readonly string[];
}

export interface ProxyPlan {
  writeConfs: [name: string, text: string][];
  deleteConfs: string[];
  writeCerts: [domain: string, files: CertificateFiles][];
  /** Certificate directories no route uses and no certificate was given for. */
  pruneCerts: string[];
}

export function planProxyChanges(live: LiveProxyFiles, desired: DesiredProxyFiles): ProxyPlan {
  const sorted = <T>(entries: [string, T][]) => entries.sort(([a], [b]) => a.localeCompare(b));
  const writeConfs = sorted(Object.entries(desired.confs).filter(([name, text]) => live.confs[name] !== text));
  const deleteConfs = Object.keys(live.confs)
    .filter((name) => !(name in desired.confs))
    .sort();
  const writeCerts = sorted(
    [...desired.certificates.entries()].filter(([domain, files]) => {
      const now = live.certs[domain];
      return now?.cert !== files.certificatePem || now?.key !== files.privateKeyPem.reveal();
    }),
  );
  const keep = new Set([...desired.routedDomains, ...desired.certificates.keys()]);
  const pruneCerts = live.certDomains.filter((d) => !keep.has(d)).sort();
  return { writeConfs, deleteConfs, writeCerts, pruneCerts };
}

/** Whether the plan changes a file nginx reads (pruning unreferenced certificates does not). */
export function planChangesConfig(plan: ProxyPlan): boolean {
  return plan.writeConfs.length + plan.deleteConfs.length + plan.writeCerts.length > 0;
}
