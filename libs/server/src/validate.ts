import Ajv, { type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { badRequest } from './errors';

const ajv = new Ajv({ allErrors: false, coerceTypes: false, useDefaults: true, removeAdditional: false });
addFormats(ajv);

function describe(error: ErrorObject): string {
  const where = error.instancePath
    ? `${error.instancePath.slice(1).replaceAll('/', '.')}`
    : 'the request body';
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${error.instancePath ? `${where}.` : ''}${missing} is required`;
  }
  if (error.keyword === 'additionalProperties') {
    return `${where} has an unknown property "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

export type Parser<T> = (value: unknown) => T;

/**
 * Compiles a JSON Schema once, at start-up, into a parser for one kind of request input.
 * Invalid input becomes a 400 in the Ory shape whose reason names the field.
 */
export function schemaParser<T>(schema: JSONSchemaType<T> | object): Parser<T> {
  const validate = ajv.compile(schema) as ValidateFunction<T>;
  return (value: unknown): T => {
    if (validate(value)) return value;
    const first = validate.errors?.[0];
    throw badRequest(first ? describe(first) : 'the request is invalid');
  };
}
