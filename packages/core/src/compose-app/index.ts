// Apps from a plain compose file (issue 17): the file's x-minicloud extension says what a
// manifest says; validate.ts checks it, compile.ts turns it into the stack a manifest app gets.
export * from './schema.js';
export * from './allowlist.js';
export * from './validate.js';
export * from './compile.js';
