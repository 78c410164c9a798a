import { badRequest } from '@mesh/server';
import type { Request } from 'express';
import type { IdentitySchema } from '../schemas/identity-schemas';
import type { FlowUiState } from '../store/flow-store';
import type { UiText } from '../text';

/** A submission the flow refuses with messages: Kratos answers 400 with the flow (or sends the browser back to the form). */
export class FlowValidationError extends Error {
  constructor(readonly state: FlowUiState) {
    super('the flow submission is invalid');
    this.name = 'FlowValidationError';
  }

  static of(messages: UiText[], nodes: FlowUiState['nodes'] = {}): FlowValidationError {
    return new FlowValidationError({ ...(messages.length ? { messages } : {}), nodes });
  }
}

/** Kratos decides between a JSON answer and a redirect by these headers. */
export function wantsJson(request: Request): boolean {
  return (
    (request.get('accept') ?? '').includes('application/json') ||
    (request.get('content-type') ?? '').includes('application/json')
  );
}

export type SubmissionBody = Record<string, unknown>;

/** The body of a form or JSON submission as one object; form names such as `traits.name.first` become nesting. */
export function submissionBody(request: Request): SubmissionBody {
  const body: unknown = request.body;
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the request body must be a JSON object or a form');
  const out: SubmissionBody = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (!key.startsWith('traits.')) {
      out[key] = value;
      continue;
    }
    const path = key.split('.');
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
      node = node[part] as SubmissionBody;
    }
    node[path.at(-1) as string] = value;
  }
  return out;
}

/** A form sends every value as a string: numbers and checkboxes of the schema become their JSON types. */
export function traitsOf(body: SubmissionBody, schema: IdentitySchema, fromForm: boolean): unknown {
  const traits = body.traits;
  if (!fromForm || typeof traits !== 'object' || traits === null) return traits;
  for (const field of schema.fields) {
    let node = traits as Record<string, unknown>;
    for (const part of field.path.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== 'object' || next === null) break;
      node = next as Record<string, unknown>;
    }
    const key = field.path.at(-1) as string;
    const value = node[key];
    if (typeof value !== 'string') continue;
    if (field.inputType === 'number' && value.trim() !== '' && !Number.isNaN(Number(value)))
      node[key] = Number(value);
    if (field.inputType === 'checkbox') node[key] = value === 'true' || value === 'on';
    if (value === '' && !field.required) delete node[key];
  }
  return traits;
}

/** Node values to show again after a refused submission: every trait leaf, never a password. */
export function traitValues(traits: unknown, prefix = 'traits'): Record<string, { value: unknown }> {
  const out: Record<string, { value: unknown }> = {};
  if (typeof traits !== 'object' || traits === null || Array.isArray(traits)) return out;
  for (const [key, value] of Object.entries(traits)) {
    const name = `${prefix}.${key}`;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      Object.assign(out, traitValues(value, name));
    else out[name] = { value };
  }
  return out;
}
