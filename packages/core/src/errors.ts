// One table of every error minicloud raises (the Fastify way): a stable code, an HTTP status
// for the API, and a message template. Core throws these; the API maps them to problem+json
// and the CLI prints `error (CODE): message`.

export interface ErrorDetail {
  /** Field path such as `expose[0].port`, or '' for the document itself. */
  path: string;
  /** The rule that failed, in words. */
  message: string;
}

export const ERROR_CODES = {
  MC_MANIFEST_NOT_FOUND: { status: 404, summary: 'no cloud manifest file was found' },
  MC_MANIFEST_PARSE: { status: 400, summary: 'the manifest is not valid YAML or JSON' },
  MC_MANIFEST_INVALID: { status: 400, summary: 'the manifest breaks the schema' },
  MC_SETTINGS_INVALID: { status: 400, summary: 'the deployment settings break the schema' },
  MC_COMPOSE_INVALID: { status: 400, summary: 'the compose file is invalid or uses an unsupported key' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class MinicloudError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: readonly ErrorDetail[];

  constructor(code: ErrorCode, message: string, details: readonly ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'MinicloudError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = details;
  }
}

/** Formats a detail the way every minicloud surface prints it: `path: rule`. */
export function formatDetail(detail: ErrorDetail): string {
  return detail.path === '' ? detail.message : `${detail.path}: ${detail.message}`;
}

export function isMinicloudError(value: unknown): value is MinicloudError {
  return value instanceof MinicloudError;
}
