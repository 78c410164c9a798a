import { badRequest, HttpError, notFound } from '@mesh/server';
import type { PasswordHasher } from '@mesh/tracing';
import { randomUUID } from 'node:crypto';
import { passwordViolation } from './password-policy';
import type { IdentitySchema, IdentitySchemas, TraitViolation } from './schemas/identity-schemas';
import { DuplicateIdentifierError, type IdentityRecord, type IdentityStore } from './store/identity-store';
import type { UiText } from './text';

/** An identity as the admin API and the flows write it. */
export interface IdentityInput {
  schema_id?: string;
  traits: unknown;
  state?: 'active' | 'inactive';
  metadata_public?: unknown;
  metadata_admin?: unknown;
  /** A clear-text password to hash, or a bcrypt hash to import as is. */
  password?: { clear?: string; hashed?: string };
}

/** The traits broke the identity schema: 400, and the violations for a flow's nodes. */
export class TraitsInvalidError extends HttpError {
  constructor(readonly violations: TraitViolation[]) {
    super(
      400,
      'The request was malformed or contained invalid parameters',
      violations.map((v) => `${v.node ?? 'traits'}: ${v.message.text}`).join('; '),
    );
  }
}

/** The password breaks the policy (length): 400, with Kratos's message for the password node. */
export class PasswordInvalidError extends HttpError {
  constructor(readonly violation: UiText) {
    super(400, 'The request was malformed or contained invalid parameters', `password: ${violation.text}`);
  }
}

/** An identifier of the traits belongs to another identity. */
export class DuplicateIdentityError extends HttpError {
  constructor() {
    super(
      409,
      'This identity conflicts with another identity that already exists.',
      'an identity with one of these identifiers exists already',
    );
  }
}

const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
const bcryptHash = /^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** Identities: schema validation, identifiers, password hashing and storage. */
export class IdentityService {
  constructor(
    private readonly store: IdentityStore,
    readonly schemas: IdentitySchemas,
    private readonly hasher: PasswordHasher,
  ) {}

  schemaOf(id: string | undefined): IdentitySchema {
    const schema = this.schemas.get(id ?? this.schemas.defaultId);
    if (!schema) throw badRequest(`identity schema "${id}" is not configured (see GET /schemas)`);
    return schema;
  }

  /** Schema violations of these traits (none: []), and the identifiers they yield. */
  check(schema: IdentitySchema, traits: unknown): string[] {
    const violations = schema.validate(traits);
    if (violations.length > 0) throw new TraitsInvalidError(violations);
    return schema.identifiers(traits);
  }

  private async passwordHashOf(password: IdentityInput['password']): Promise<string | undefined> {
    if (password?.hashed !== undefined) {
      if (!bcryptHash.test(password.hashed))
        throw badRequest(
          'credentials.password.config.hashed_password must be a bcrypt hash ($2a$, $2b$ or $2y$)',
        );
      return password.hashed;
    }
    if (password?.clear === undefined) return undefined;
    const violation = passwordViolation(password.clear);
    if (violation) throw new PasswordInvalidError(violation);
    return this.hasher.generate(password.clear);
  }

  async create(input: IdentityInput): Promise<IdentityRecord> {
    const schema = this.schemaOf(input.schema_id);
    const identifiers = this.check(schema, input.traits);
    const passwordHash = await this.passwordHashOf(input.password);
    const now = new Date().toISOString();
    const identity: IdentityRecord = {
      id: randomUUID(),
      schema_id: schema.id,
      state: input.state ?? 'active',
      traits: JSON.stringify(input.traits),
      metadata_public: json(input.metadata_public),
      metadata_admin: json(input.metadata_admin),
      created_at: now,
      updated_at: now,
    };
    await this.write(() => this.store.save({ identity, identifiers, passwordHash }, true));
    return identity;
  }

  /** Replaces what `input` names of an existing identity (Kratos's PUT keeps unnamed metadata only when absent). */
  async update(existing: IdentityRecord, input: IdentityInput): Promise<IdentityRecord> {
    const schema = this.schemaOf(input.schema_id ?? existing.schema_id);
    const identifiers = this.check(schema, input.traits);
    const passwordHash = await this.passwordHashOf(input.password);
    const identity: IdentityRecord = {
      ...existing,
      schema_id: schema.id,
      state: input.state ?? existing.state,
      traits: JSON.stringify(input.traits),
      metadata_public: json(input.metadata_public),
      metadata_admin: json(input.metadata_admin),
      updated_at: new Date().toISOString(),
    };
    const saved = await this.write(() => this.store.save({ identity, identifiers, passwordHash }, false));
    if (!saved) throw notFound(`identity ${existing.id} does not exist`);
    return identity;
  }

  async setPassword(identityId: string, password: string): Promise<void> {
    const violation = passwordViolation(password);
    if (violation) throw new PasswordInvalidError(violation);
    await this.store.updatePassword(identityId, await this.hasher.generate(password));
  }

  private async write<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DuplicateIdentifierError) throw new DuplicateIdentityError();
      throw error;
    }
  }
}
