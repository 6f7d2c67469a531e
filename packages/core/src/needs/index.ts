// Need kinds (issue 14): what an app can ask for in its manifest's `needs`, one folder per
// kind, listed in registry.ts. Others reach a kind through the registry, never by name.
export * from './types.js';
export * from './registry.js';
export { serviceUrl, type ServiceEndpoint } from './url.js';
