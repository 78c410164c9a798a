import type { FlowRecord, IdentityRecord, SessionRecord } from './store/identity-store';

/** The Kratos JSON shapes that @ory/client reads. */
export function identityView(record: IdentityRecord) {
  return {
    id: record.id,
    schema_id: record.schema_id,
    schema_url: '',
    state: record.state,
    traits: JSON.parse(record.traits) as { email: string },
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

export function sessionView(session: SessionRecord, identity: IdentityRecord, now = new Date()) {
  return {
    id: session.id,
    active: session.revoked_at === null && new Date(session.expires_at) > now,
    expires_at: session.expires_at,
    authenticated_at: session.authenticated_at,
    issued_at: session.issued_at,
    authenticator_assurance_level: 'aal1',
    authentication_methods: [{ method: 'password', aal: 'aal1', completed_at: session.authenticated_at }],
    identity: identityView(identity),
  };
}

const passwordNodes = (type: FlowRecord['type']) => [
  {
    type: 'input',
    group: 'default',
    attributes: {
      name: type === 'login' ? 'identifier' : 'traits.email',
      type: type === 'login' ? 'text' : 'email',
      required: true,
      disabled: false,
      node_type: 'input',
    },
    messages: [],
    meta: {},
  },
  {
    type: 'input',
    group: 'password',
    attributes: { name: 'password', type: 'password', required: true, disabled: false, node_type: 'input' },
    messages: [],
    meta: {},
  },
  {
    type: 'input',
    group: 'password',
    attributes: { name: 'method', type: 'submit', value: 'password', disabled: false, node_type: 'input' },
    messages: [],
    meta: {},
  },
];

export function flowView(flow: FlowRecord, publicBaseUrl: string) {
  return {
    id: flow.id,
    type: 'api',
    expires_at: flow.expires_at,
    issued_at: flow.issued_at,
    request_url: flow.request_url,
    state: 'choose_method',
    ui: {
      action: `${publicBaseUrl}/self-service/${flow.type}?flow=${flow.id}`,
      method: 'POST',
      nodes: passwordNodes(flow.type),
    },
  };
}
