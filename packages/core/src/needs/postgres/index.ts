// The PostgreSQL need kind's edge: the adapter that provisions an app's role and database,
// the pure SQL and verifier it is built on, the app's URL, and the dump and restore.
export * from './admin.js';
export * from './dump.js';
export * from './scram.js';
export * from './sql.js';
export * from './url.js';
