/**
 * Errors as RFC 9457 problem documents (application/problem+json) that say what is wrong. Status
 * codes come from the error's code, at this edge only.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { CairnError, type ErrorCode } from '../core/errors.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
}

const statusOf: Partial<Record<ErrorCode, number>> = {
  'bad-input': 400, 'not-found': 404, 'ambiguous': 400, 'locked': 409, 'unsupported': 501, 'wrong-key': 400, 'not-a-bank': 400,
  'bank-exists': 400, 'quota': 403, 'denied': 403, 'format-too-new': 400, 'format-too-old': 400,
};

/** A failure the API answers with: a status, and a detail meant for the caller. */
export class HttpProblem extends Error {
  readonly status: number;

  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
  }
}

export function problemOf(status: number, detail: string, instance?: string): Problem {
  const titles: Record<number, string> = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error', 501: 'Not Implemented',
    502: 'Bad Gateway', 503: 'Service Unavailable',
  };
  return { type: 'about:blank', title: titles[status] ?? 'Error', status, detail, ...(instance ? { instance } : {}) };
}

export function sendProblem(reply: FastifyReply, status: number, detail: string, instance?: string): FastifyReply {
  return reply.code(status).type('application/problem+json').send(problemOf(status, detail, instance));
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof HttpProblem) return sendProblem(reply, err.status, err.message, request.url);
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'request';
    const issues = err.validation.map((v) => `${where}${v.instancePath ? v.instancePath.replace(/\//g, '.') : ''}: ${v.message ?? 'is invalid'}`);
    return sendProblem(reply, 400, issues.join('; '), request.url);
  }
  if (err instanceof CairnError) return sendProblem(reply, statusOf[err.code] ?? 500, err.message, request.url);
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return sendProblem(reply, err.statusCode, err.message, request.url);
  request.log.error(err);
  return sendProblem(reply, 500, 'the server failed to answer this request; the error is in its log', request.url);
}
