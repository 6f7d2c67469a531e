export { buildApp, type AppOptions } from './app.js';
export { maskUrlCredentials, maskQuerySecrets } from './logger.js';
export { JobRunner, type JobRecord, type JobRunnerOptions } from './jobs.js';
export { TokenStore, TOKENS_FILE, type DeployTokenInfo } from './tokens.js';
export type { ImagesPort, LogLine, LogsPort, NodesPort, RegistryImage, RegistryPort, StacksPort } from './ports.js';
export { demux, dockerPorts, type DockerPortsOptions } from './adapters.js';
export { repositoryOf, sameRepository } from './routes/tokens.js';
export { problemOf, problemDocument, type ProblemDocument } from './problem.js';
