export { buildApp, type AppOptions } from './app.js';
export { maskUrlCredentials } from './logger.js';
