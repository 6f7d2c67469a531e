import type { FastifyReply } from 'fastify';
import { isMinicloudError } from '@minicloud/core';

export interface ProblemField {
  field: string;
  message: string;
}

/** RFC 9457 problem+json with minicloud's stable `code`, and the offending fields when known. */
export function problem(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  fields: ProblemField[] = [],
) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: `https://minicloud.dev/errors/${code}`,
      title: code,
      status,
      code,
      detail,
      ...(fields.length > 0 ? { errors: fields } : {}),
    });
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: ProblemField[];
}

/** The body `problem()` sends, as a value (for jobs that failed, and the admin pages). */
export function problemDocument(status: number, code: string, detail: string, fields: ProblemField[] = []) {
  return {
    type: `https://minicloud.dev/errors/${code}`,
    title: code,
    status,
    code,
    detail,
    ...(fields.length > 0 ? { errors: fields } : {}),
  } satisfies ProblemDocument;
}

/** Any thrown value as problem details: coded domain errors keep their code, the rest is MC_INTERNAL. */
export function problemOf(error: unknown): ProblemDocument {
  if (isMinicloudError(error)) {
    const fields = error.details.map((d) => ({ field: d.path, message: d.message }));
    return problemDocument(error.status, error.code, error.message, fields);
  }
  return problemDocument(500, 'MC_INTERNAL', 'internal error; see the API logs');
}
