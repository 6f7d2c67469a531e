import { serviceUrl, type ServiceEndpoint } from '../url.js';
import type { Sensitive } from '../../sensitive.js';

/** The app's DATABASE_URL for its PostgreSQL database: postgres://USER:PASS@postgres:5432/DB. */
export const postgresUrl = (ep: ServiceEndpoint): Sensitive<string> => serviceUrl('postgres', ep);
