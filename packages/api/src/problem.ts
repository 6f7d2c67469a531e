import type { FastifyReply } from 'fastify';

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
