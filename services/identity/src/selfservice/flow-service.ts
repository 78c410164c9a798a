import { parseDuration } from '@mesh/config';
import { badRequest, notFound } from '@mesh/server';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { IdentityConfig } from '../config';
import type { CsrfProtection } from '../csrf';
import { KratosError } from '../kratos-errors';
import type { FlowKind, FlowRecord, FlowStore, FlowType, FlowUiState } from '../store/flow-store';

export interface NewFlowOptions {
  identityId?: string;
  returnTo?: string;
  state?: FlowUiState;
}

/** Creating, finding and updating self-service flows; every URL from serve.public.base_url. */
export class FlowService {
  readonly publicBaseUrl: string;
  private readonly lifespanMs: Record<FlowType, number>;

  constructor(
    private readonly store: FlowStore,
    private readonly csrf: CsrfProtection,
    private readonly config: IdentityConfig,
  ) {
    this.publicBaseUrl = config.serve.public.base_url.replace(/\/$/, '');
    const flows = config.selfservice.flows;
    this.lifespanMs = {
      login: parseDuration('selfservice.flows.login.lifespan', flows.login.lifespan),
      registration: parseDuration('selfservice.flows.registration.lifespan', flows.registration.lifespan),
      settings: parseDuration('selfservice.flows.settings.lifespan', flows.settings.lifespan),
    };
  }

  async create(
    type: FlowType,
    kind: FlowKind,
    request: Request,
    response: Response,
    options: NewFlowOptions = {},
  ): Promise<FlowRecord> {
    const now = new Date();
    return this.store.create({
      id: randomUUID(),
      type,
      kind,
      request_url: `${this.publicBaseUrl}${request.originalUrl}`,
      issued_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.lifespanMs[type]).toISOString(),
      csrf_token: kind === 'browser' ? this.csrf.issue(request, response) : null,
      return_to: options.returnTo ?? null,
      identity_id: options.identityId ?? null,
      state: type === 'settings' ? 'show_form' : 'choose_method',
      ui: JSON.stringify(options.state ?? {}),
    });
  }

  /** The flow a submission names; an unknown one is malformed input (400). */
  async forSubmission(id: string, type: FlowType): Promise<FlowRecord> {
    const flow = await this.store.find(id, type);
    if (!flow)
      throw badRequest(`the ${type} flow ${id} does not exist`, `The ${type} flow could not be found`);
    return flow;
  }

  /** `GET /self-service/<type>/flows?id=`: 404 when unknown, Kratos's 410 with where to start anew when expired. */
  async forLookup(id: string, type: FlowType): Promise<FlowRecord> {
    const flow = await this.store.find(id, type);
    if (!flow) throw notFound(`the ${type} flow ${id} does not exist`);
    if (this.expired(flow)) {
      throw new KratosError(
        410,
        'The requested resource is no longer available because it has expired or is otherwise invalid.',
        `The ${type} flow has expired. Redirect the user to the ${type} flow init endpoint to initialize a new ${type} flow.`,
        'self_service_flow_expired',
        { redirect_to: `${this.publicBaseUrl}/self-service/${type}/${flow.kind}` },
      );
    }
    return flow;
  }

  expired(flow: FlowRecord, now = new Date()): boolean {
    return new Date(flow.expires_at) <= now;
  }

  /** selfservice.flows.<type>.ui_url?flow=<id>: where a browser sees the flow's form. */
  uiUrl(type: FlowType, flowId: string): string {
    const url = new URL(this.config.selfservice.flows[type].ui_url);
    url.searchParams.set('flow', flowId);
    return url.toString();
  }

  save(flow: FlowRecord, state: string, ui: FlowUiState): Promise<void> {
    flow.state = state;
    flow.ui = JSON.stringify(ui);
    return this.store.updateUi(flow.id, state, ui);
  }
}
