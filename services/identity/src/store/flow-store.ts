import type { SqlClient } from '@mesh/sql';
import type { UiText } from '../text';

export type FlowType = 'login' | 'registration' | 'settings';
export type FlowKind = 'api' | 'browser';

/** What a flow remembers between submissions: its messages and the values the user entered. */
export interface FlowUiState {
  messages?: UiText[];
  /** Per node name: the value to show again (never a password) and its messages. */
  nodes?: Record<string, { value?: unknown; messages?: UiText[] }>;
}

export interface FlowRecord {
  id: string;
  type: FlowType;
  kind: FlowKind;
  request_url: string;
  issued_at: string;
  expires_at: string;
  /** The masked anti-CSRF token a browser flow shows in its csrf_token node. */
  csrf_token: string | null;
  return_to: string | null;
  /** The identity a settings flow belongs to. */
  identity_id: string | null;
  state: string;
  ui: string;
}

const flowColumns =
  'id, type, kind, request_url, issued_at, expires_at, csrf_token, return_to, identity_id, state, ui';

export class FlowStore {
  constructor(private readonly db: SqlClient) {}

  async create(flow: FlowRecord): Promise<FlowRecord> {
    await this.db.execute(
      `INSERT INTO flows (${flowColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        flow.id,
        flow.type,
        flow.kind,
        flow.request_url,
        flow.issued_at,
        flow.expires_at,
        flow.csrf_token,
        flow.return_to,
        flow.identity_id,
        flow.state,
        flow.ui,
      ],
    );
    return flow;
  }

  async find(id: string, type: FlowType): Promise<FlowRecord | undefined> {
    const rows = await this.db.query<FlowRecord>(
      `SELECT ${flowColumns} FROM flows WHERE id = $1 AND type = $2`,
      [id, type],
    );
    return rows[0];
  }

  async updateUi(id: string, state: string, ui: FlowUiState): Promise<void> {
    await this.db.execute('UPDATE flows SET state = $1, ui = $2 WHERE id = $3', [
      state,
      JSON.stringify(ui),
      id,
    ]);
  }
}
