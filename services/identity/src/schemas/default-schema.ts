/**
 * The schema identities get when `identity.schemas` is empty: the demo's person (an email that is the
 * password identifier, verifiable and recoverable, and a name). infra/identity/schemas/identity.schema.json
 * is the same document as a file; a test keeps the two equal.
 */
export const builtInIdentitySchema = {
  $id: 'https://schemas.ory.sh/presets/kratos/identity.email.schema.json',
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Person',
  type: 'object',
  properties: {
    traits: {
      type: 'object',
      properties: {
        email: {
          type: 'string',
          format: 'email',
          title: 'E-Mail',
          maxLength: 320,
          'ory.sh/kratos': {
            credentials: { password: { identifier: true } },
            verification: { via: 'email' },
            recovery: { via: 'email' },
          },
        },
        name: {
          type: 'object',
          properties: {
            first: { type: 'string', title: 'First name', maxLength: 256 },
            last: { type: 'string', title: 'Last name', maxLength: 256 },
          },
        },
      },
      required: ['email'],
      additionalProperties: false,
    },
  },
};
