import { BadRequestException } from '@nestjs/common';

/** The fields of a post a client sends (JSON body of POST and PUT /posts). */
export interface PostInput {
  title: string;
  body: string;
  authorId: number;
}

const TITLE_MAX = 200;

/**
 * Validates a request body. `partial` (PUT) accepts any non-empty subset of the fields; otherwise
 * (POST) all of them are required. Unknown fields are rejected, so a typo is not silently ignored.
 * @throws BadRequestException listing every problem.
 */
export function parsePostInput(body: unknown, partial: false): PostInput;
export function parsePostInput(body: unknown, partial: true): Partial<PostInput>;
export function parsePostInput(body: unknown, partial: boolean): Partial<PostInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException(['body must be a JSON object']);
  }
  const fields = body as Record<string, unknown>;
  const errors: string[] = [];
  const input: Partial<PostInput> = {};

  for (const name of Object.keys(fields)) {
    if (name !== 'title' && name !== 'body' && name !== 'authorId') {
      errors.push(`unknown field ${name}`);
    }
  }
  const { title, body: text, authorId } = fields;
  if (title !== undefined) {
    if (typeof title !== 'string' || title.trim() === '' || title.length > TITLE_MAX) {
      errors.push(`title must be a non-empty string of at most ${TITLE_MAX} characters`);
    } else {
      input.title = title.trim();
    }
  } else if (!partial) {
    errors.push('title is required');
  }
  if (text !== undefined) {
    if (typeof text !== 'string') errors.push('body must be a string');
    else input.body = text;
  } else if (!partial) {
    errors.push('body is required');
  }
  if (authorId !== undefined) {
    if (!Number.isSafeInteger(authorId) || (authorId as number) < 1) {
      errors.push('authorId must be a positive integer');
    } else {
      input.authorId = authorId as number;
    }
  } else if (!partial) {
    errors.push('authorId is required');
  }
  if (partial && errors.length === 0 && Object.keys(input).length === 0) {
    errors.push('give at least one of title, body, authorId');
  }
  if (errors.length > 0) throw new BadRequestException(errors);
  return input;
}
