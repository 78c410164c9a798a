import { schemaParser } from '@mesh/server';

/** Request bodies and queries, validated at the edge; handlers only see these types. */
export interface LoginBody {
  method: 'password';
  identifier: string;
  password: string;
}

export interface RegistrationBody {
  method: 'password';
  password: string;
  traits: { email: string };
}

export interface LogoutBody {
  session_token: string;
}

export interface CreateIdentityBody {
  schema_id?: string;
  state?: 'active';
  traits: { email: string };
  credentials?: { password?: { config?: { password?: string } } };
}

export const minimumPasswordLength = 8;

const email = { type: 'string', format: 'email', maxLength: 320 };
const password = { type: 'string', maxLength: 1024 };

export const parseLoginBody = schemaParser<LoginBody>({
  type: 'object',
  required: ['method', 'identifier', 'password'],
  properties: {
    method: { const: 'password' },
    identifier: { type: 'string', minLength: 1, maxLength: 320 },
    password,
  },
});

export const parseRegistrationBody = schemaParser<RegistrationBody>({
  type: 'object',
  required: ['method', 'password', 'traits'],
  properties: {
    method: { const: 'password' },
    password,
    traits: { type: 'object', required: ['email'], properties: { email } },
  },
});

export const parseLogoutBody = schemaParser<LogoutBody>({
  type: 'object',
  required: ['session_token'],
  properties: { session_token: { type: 'string', minLength: 1, maxLength: 512 } },
});

export const parseCreateIdentityBody = schemaParser<CreateIdentityBody>({
  type: 'object',
  required: ['traits'],
  properties: {
    schema_id: { type: 'string', const: 'default' },
    state: { const: 'active' },
    traits: { type: 'object', required: ['email'], properties: { email } },
    credentials: {
      type: 'object',
      properties: {
        password: { type: 'object', properties: { config: { type: 'object', properties: { password } } } },
      },
    },
  },
});

export const parseFlowQuery = schemaParser<{ flow: string }>({
  type: 'object',
  required: ['flow'],
  properties: { flow: { type: 'string', format: 'uuid' } },
});

export const parseFlowIdQuery = schemaParser<{ id: string }>({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
});

export const parseIdParam = schemaParser<{ id: string }>({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
});

export const parsePageQuery = schemaParser<{ page_size?: string; page_token?: string }>({
  type: 'object',
  properties: {
    page_size: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    page_token: { type: 'string', format: 'uuid' },
  },
});
