import { html, type Html } from '@mesh/html';

/** The parts of a Kratos flow (`GET /self-service/{type}/flows?id=`) that the form is drawn from. */
export interface UiText {
  id?: number;
  text: string;
  type?: string;
}

export interface UiNode {
  type: string;
  group: string;
  attributes: {
    name: string;
    type: string;
    value?: unknown;
    required?: boolean;
    autocomplete?: string;
    disabled?: boolean;
  };
  messages?: UiText[];
  meta?: { label?: UiText };
}

export interface Flow {
  id: string;
  ui: { action: string; method: string; nodes: UiNode[]; messages?: UiText[] };
}

export const flowMessages = (flow: Flow): Html => messages(flow.ui.messages);

export const isFlow = (value: unknown): value is Flow =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Flow).id === 'string' &&
  typeof (value as Flow).ui?.action === 'string' &&
  Array.isArray((value as Flow).ui?.nodes);

const messages = (list: UiText[] | undefined): Html =>
  list && list.length > 0
    ? html`<ul class="messages" role="alert">
        ${list.map((message) => html`<li class="${message.type === 'error' ? 'error' : 'info'}" data-message-id="${message.id ?? ''}">${message.text}</li>`)}
      </ul>`
    : html``;

const labelOf = (node: UiNode): string => {
  const label = node.meta?.label?.text;
  if (label) return label;
  if (node.attributes.name === 'identifier') return 'Email';
  return node.attributes.name.replace(/^traits\./, '').replace(/[._]/g, ' ');
};

/**
 * A flow's form as the self-service UI draws it: every node of `ui.nodes` in order, a label for each
 * visible input, the hidden csrf_token, submit buttons, and the flow's and each field's messages. The form
 * posts straight to `ui.action` (identity, through the gateway), so it works without JavaScript.
 */
export function flowForm(flow: Flow, submitLabel: string, group?: string): Html {
  // One group per form (settings has profile and password), with the default group's csrf_token in each.
  const fields = flow.ui.nodes.filter(
    (node) => node.type === 'input' && (!group || node.group === group || node.group === 'default'),
  );
  return html`<form
    method="${flow.ui.method.toLowerCase() === 'get' ? 'get' : 'post'}"
    action="${flow.ui.action}"
    novalidate
  >
    ${fields.map((node, index) => {
      const { attributes } = node;
      const id = `field-${index}`;
      const value =
        attributes.value === undefined || attributes.value === null ? '' : String(attributes.value);
      if (attributes.type === 'hidden')
        return html`<input type="hidden" name="${attributes.name}" value="${value}" />`;
      if (attributes.type === 'submit' || attributes.type === 'button') {
        return html`<button type="submit" name="${attributes.name}" value="${value}">
          ${node.meta?.label?.text ?? submitLabel}
        </button>`;
      }
      const describedBy = node.messages && node.messages.length > 0 ? `${id}-messages` : '';
      return html`<label for="${id}">${labelOf(node)}</label>
        <input
          id="${id}"
          name="${attributes.name}"
          type="${attributes.type}"
          value="${attributes.type === 'password' ? '' : value}"
          ${attributes.required ? html`required` : ''}
          ${attributes.autocomplete ? html`autocomplete="${attributes.autocomplete}"` : ''}
          ${attributes.disabled ? html`disabled` : ''}
          ${describedBy ? html`aria-describedby="${describedBy}"` : ''}
        />
        ${describedBy ? html`<div id="${describedBy}">${messages(node.messages)}</div>` : ''}`;
    })}
    ${fields.some((node) => node.attributes.type === 'submit') ? '' : html`<input type="hidden" name="method" value="password" /><button type="submit">${submitLabel}</button>`}
  </form>`;
}
