import { isActive } from './session-service';
import { schemaUrl, type IdentitySchemas } from './schemas/identity-schemas';
import type { FlowRecord, FlowUiState } from './store/flow-store';
import type { IdentityRecord, PasswordCredential } from './store/identity-store';
import type { SessionRecord } from './store/session-store';
import { flowNodes } from './ui-nodes';

/** What the JSON views need besides the records: where the public API is, and the schemas. */
export interface ViewContext {
  publicBaseUrl: string;
  schemas: IdentitySchemas;
}

const parsed = (value: string | null): unknown => (value === null ? null : (JSON.parse(value) as unknown));

export interface CredentialsView {
  password: PasswordCredential;
  identifiers: string[];
}

/** The Identity model of Kratos (and @ory/client). Credentials only where Kratos shows them (admin GET), never their secrets. */
export function identityView(context: ViewContext, record: IdentityRecord, credentials?: CredentialsView) {
  const traits = parsed(record.traits);
  const schema = context.schemas.get(record.schema_id);
  const address = (kind: 'verifiable' | 'recoverable') =>
    (schema?.[kind](traits) ?? []).map(({ value, via }) => ({
      value,
      via,
      ...(kind === 'verifiable' ? { verified: false, status: 'pending' } : {}),
      created_at: record.created_at,
      updated_at: record.updated_at,
    }));
  return {
    id: record.id,
    schema_id: record.schema_id,
    schema_url: schemaUrl(context.publicBaseUrl, record.schema_id),
    state: record.state,
    traits,
    verifiable_addresses: address('verifiable'),
    recoverable_addresses: address('recoverable'),
    metadata_public: parsed(record.metadata_public),
    metadata_admin: parsed(record.metadata_admin),
    created_at: record.created_at,
    updated_at: record.updated_at,
    ...(credentials
      ? {
          credentials: {
            password: {
              type: 'password',
              identifiers: credentials.identifiers,
              version: 0,
              created_at: credentials.password.created_at,
              updated_at: credentials.password.updated_at,
            },
          },
        }
      : {}),
  };
}

/** The public identity of a session: Kratos hides metadata_admin outside the admin API. */
export function publicIdentityView(context: ViewContext, record: IdentityRecord) {
  const view: Partial<ReturnType<typeof identityView>> = identityView(context, record);
  delete view.metadata_admin;
  return view;
}

export function sessionView(
  context: ViewContext,
  session: SessionRecord,
  identity: IdentityRecord | undefined,
  now = new Date(),
) {
  return {
    id: session.id,
    active: isActive(session, now),
    expires_at: session.expires_at,
    authenticated_at: session.authenticated_at,
    issued_at: session.issued_at,
    authenticator_assurance_level: 'aal1',
    authentication_methods: [{ method: 'password', aal: 'aal1', completed_at: session.authenticated_at }],
    ...(identity ? { identity: publicIdentityView(context, identity) } : {}),
  };
}

export function flowUiState(flow: FlowRecord): FlowUiState {
  return JSON.parse(flow.ui) as FlowUiState;
}

/** A login, registration or settings flow as Kratos returns it; `identity` is the settings flow's owner. */
export function flowView(context: ViewContext, flow: FlowRecord, identity?: IdentityRecord) {
  const base = context.publicBaseUrl.replace(/\/$/, '');
  const state = flowUiState(flow);
  const schema = identity
    ? (context.schemas.get(identity.schema_id) ?? context.schemas.default)
    : context.schemas.default;
  const traits = identity ? parsed(identity.traits) : undefined;
  return {
    id: flow.id,
    type: flow.kind,
    expires_at: flow.expires_at,
    issued_at: flow.issued_at,
    request_url: flow.request_url,
    ...(flow.return_to ? { return_to: flow.return_to } : {}),
    state: flow.state,
    ...(flow.type === 'login' ? { refresh: false, requested_aal: 'aal1' } : {}),
    ...(identity ? { identity: publicIdentityView(context, identity) } : {}),
    ui: {
      action: `${base}/self-service/${flow.type}?flow=${flow.id}`,
      method: 'POST',
      nodes: flowNodes(flow, schema, traits, state),
      ...(state.messages?.length ? { messages: state.messages } : {}),
    },
  };
}
