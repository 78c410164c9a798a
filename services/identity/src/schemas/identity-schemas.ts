import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { text, type UiText } from '../text';
import { builtInIdentitySchema } from './default-schema';
import { readSchemaSource } from './schema-source';

/** One trait the schema declares as a leaf: what a form shows for it. */
export interface TraitField {
  /** The form name, e.g. `traits.name.first`. */
  name: string;
  path: string[];
  inputType: 'email' | 'text' | 'number' | 'checkbox' | 'tel' | 'url' | 'date' | 'datetime-local';
  title: string | undefined;
  required: boolean;
  /** Declared `ory.sh/kratos` settings of this trait. */
  passwordIdentifier: boolean;
  verificationVia: string | undefined;
  recoveryVia: string | undefined;
}

/** A trait value that failed the schema, as Kratos reports it: on the node `traits.<path>`, or the flow when the path is empty. */
export interface TraitViolation {
  node: string | undefined;
  message: UiText;
}

export interface AddressOfTrait {
  value: string;
  via: string;
}

interface KratosExtension {
  credentials?: { password?: { identifier?: boolean } };
  verification?: { via?: string };
  recovery?: { via?: string };
}

interface SchemaNode {
  type?: string | string[];
  format?: string;
  title?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  'ory.sh/kratos'?: KratosExtension;
}

const inputTypeOf = (node: SchemaNode): TraitField['inputType'] => {
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  if (type === 'number' || type === 'integer') return 'number';
  if (type === 'boolean') return 'checkbox';
  switch (node.format) {
    case 'email':
      return 'email';
    case 'tel':
      return 'tel';
    case 'uri':
      return 'url';
    case 'date':
      return 'date';
    case 'date-time':
      return 'datetime-local';
    default:
      return 'text';
  }
};

function collectFields(node: SchemaNode, path: string[], required: boolean, into: TraitField[]): void {
  if (node.properties) {
    for (const [key, child] of Object.entries(node.properties)) {
      collectFields(child, [...path, key], required && (node.required ?? []).includes(key), into);
    }
    return;
  }
  const extension = node['ory.sh/kratos'];
  into.push({
    name: ['traits', ...path].join('.'),
    path,
    inputType: inputTypeOf(node),
    title: node.title,
    required,
    passwordIdentifier: extension?.credentials?.password?.identifier === true,
    verificationVia: extension?.verification?.via,
    recoveryVia: extension?.recovery?.via,
  });
}

function valueAt(traits: unknown, path: readonly string[]): unknown {
  let node = traits;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const jsonTypeOf = (value: unknown) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : typeof value === 'number'
        ? Number.isInteger(value)
          ? 'integer'
          : 'number'
        : typeof value;

/** ajv's error as Kratos words it (ui/container's translation of the JSON Schema validator's errors). */
function kratosMessage(error: ErrorObject, traits: unknown): UiText {
  const value = valueAt({ traits }, error.instancePath.split('/').slice(1));
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return text.required(String(params.missingProperty));
    case 'minLength':
      return text.minLength(Number(params.limit), typeof value === 'string' ? [...value].length : -1);
    case 'maxLength':
      return text.maxLength(Number(params.limit), typeof value === 'string' ? [...value].length : -1);
    case 'pattern':
      return text.invalidFormat(String(params.pattern));
    case 'minimum':
      return text.minimum(Number(params.limit), Number(value));
    case 'exclusiveMinimum':
      return text.exclusiveMinimum(Number(params.limit), Number(value));
    case 'maximum':
      return text.maximum(Number(params.limit), Number(value));
    case 'exclusiveMaximum':
      return text.exclusiveMaximum(Number(params.limit), Number(value));
    case 'multipleOf':
      return text.multipleOf(Number(params.multipleOf), Number(value));
    case 'maxItems':
      return text.maxItems(Number(params.limit), Array.isArray(value) ? value.length : -1);
    case 'minItems':
      return text.minItems(Number(params.limit), Array.isArray(value) ? value.length : -1);
    case 'uniqueItems':
      return text.uniqueItems(Number(params.j), Number(params.i));
    case 'type':
      return text.wrongType(String(params.type).split(','), jsonTypeOf(value));
    case 'const':
      return text.constGeneric();
    case 'format':
      return params.format === 'email'
        ? text.email(String(value))
        : text.generic(`does not match format "${String(params.format)}"`);
    case 'additionalProperties':
      return text.generic(`additionalProperties "${String(params.additionalProperty)}" not allowed`);
    default:
      return text.generic(error.message ?? 'is invalid');
  }
}

/** A compiled identity schema with its `ory.sh/kratos` extension read out. */
export class IdentitySchema {
  readonly fields: TraitField[];
  private readonly check: ValidateFunction;

  constructor(
    readonly id: string,
    readonly document: Record<string, unknown>,
  ) {
    // One validator instance per schema: two schemas may carry the same $id (copies of one preset).
    // Not strict: a Kratos schema carries keywords such as ory.sh/kratos that ajv cannot register.
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    this.check = ajv.compile(document);
    const traits = (document.properties as Record<string, SchemaNode> | undefined)?.traits;
    if (!traits || typeof traits !== 'object')
      throw new Error(`identity schema "${id}" has no properties.traits object`);
    this.fields = [];
    collectFields(traits, [], true, this.fields);
    if (!this.fields.some((field) => field.passwordIdentifier)) {
      throw new Error(
        `identity schema "${id}" marks no trait as password identifier ("ory.sh/kratos": {"credentials": {"password": {"identifier": true}}})`,
      );
    }
  }

  /** Every violation of the traits, each on its node (`traits.email`) or on the whole form. */
  validate(traits: unknown): TraitViolation[] {
    if (this.check({ traits })) return [];
    return (this.check.errors ?? []).map((error) => {
      const path = error.instancePath.split('/').slice(1);
      if (error.keyword === 'required')
        path.push(String((error.params as { missingProperty: string }).missingProperty));
      return { node: path.length > 1 ? path.join('.') : undefined, message: kratosMessage(error, traits) };
    });
  }

  /** The password identifiers of these traits (lower-cased and trimmed, as logins are matched). */
  identifiers(traits: unknown): string[] {
    return this.addresses(traits, (field) => (field.passwordIdentifier ? 'password' : undefined)).map(
      (address) => address.value,
    );
  }

  verifiable(traits: unknown): AddressOfTrait[] {
    return this.addresses(traits, (field) => field.verificationVia);
  }

  recoverable(traits: unknown): AddressOfTrait[] {
    return this.addresses(traits, (field) => field.recoveryVia);
  }

  private addresses(traits: unknown, viaOf: (field: TraitField) => string | undefined): AddressOfTrait[] {
    const found = new Map<string, AddressOfTrait>();
    for (const field of this.fields) {
      const via = viaOf(field);
      if (!via) continue;
      const value = valueAt(traits, field.path);
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item !== 'string' || item.trim() === '') continue;
        const normalised = item.trim().toLowerCase();
        found.set(`${via}:${normalised}`, { value: normalised, via });
      }
    }
    return [...found.values()];
  }
}

export interface SchemaEntry {
  id: string;
  url: string;
}

/** Every configured identity schema, read and compiled once at start-up. */
export class IdentitySchemas {
  private constructor(
    private readonly byId: Map<string, IdentitySchema>,
    readonly defaultId: string,
  ) {}

  static async load(entries: readonly SchemaEntry[], defaultId: string): Promise<IdentitySchemas> {
    const byId = new Map<string, IdentitySchema>();
    if (entries.length === 0) byId.set('default', new IdentitySchema('default', builtInIdentitySchema));
    for (const entry of entries) {
      if (byId.has(entry.id)) throw new Error(`identity.schemas lists the id "${entry.id}" twice`);
      let document: unknown;
      try {
        document = JSON.parse(await readSchemaSource(entry.url));
      } catch (error) {
        throw new Error(
          `identity schema "${entry.id}" could not be read: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (typeof document !== 'object' || document === null || Array.isArray(document))
        throw new Error(`identity schema "${entry.id}" is not a JSON object`);
      byId.set(entry.id, new IdentitySchema(entry.id, document as Record<string, unknown>));
    }
    if (!byId.has(defaultId))
      throw new Error(`identity.default_schema_id "${defaultId}" is not an id in identity.schemas`);
    return new IdentitySchemas(byId, defaultId);
  }

  get(id: string): IdentitySchema | undefined {
    return this.byId.get(id);
  }

  /** `GET /schemas/{id}` takes the id itself or, as in schema_url, its base64url form. */
  find(idOrEncoded: string): IdentitySchema | undefined {
    return (
      this.byId.get(idOrEncoded) ?? this.byId.get(Buffer.from(idOrEncoded, 'base64url').toString('utf8'))
    );
  }

  get default(): IdentitySchema {
    return this.byId.get(this.defaultId) as IdentitySchema;
  }

  all(): IdentitySchema[] {
    return [...this.byId.values()];
  }
}

/** Kratos's schema_url: the public base URL, `/schemas/`, the id in base64url. */
export function schemaUrl(publicBaseUrl: string, id: string): string {
  return `${publicBaseUrl.replace(/\/$/, '')}/schemas/${Buffer.from(id).toString('base64url')}`;
}
