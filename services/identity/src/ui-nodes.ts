import type { IdentitySchema, TraitField } from './schemas/identity-schemas';
import type { FlowRecord, FlowUiState } from './store/flow-store';
import { text, type UiText } from './text';

/** One `ui.nodes[]` entry in Kratos's shape (an input node; this service has no other kinds). */
export interface UiNode {
  type: 'input';
  group: 'default' | 'password' | 'profile';
  attributes: {
    name: string;
    type: string;
    value?: unknown;
    required?: boolean;
    autocomplete?: string;
    disabled: boolean;
    node_type: 'input';
  };
  messages: UiText[];
  meta: { label?: UiText };
}

const input = (
  group: UiNode['group'],
  name: string,
  type: string,
  options: { value?: unknown; required?: boolean; autocomplete?: string; label?: UiText } = {},
): UiNode => ({
  type: 'input',
  group,
  attributes: {
    name,
    type,
    ...(options.value !== undefined ? { value: options.value } : {}),
    ...(options.required ? { required: true } : {}),
    ...(options.autocomplete ? { autocomplete: options.autocomplete } : {}),
    disabled: false,
    node_type: 'input',
  },
  messages: [],
  meta: options.label ? { label: options.label } : {},
});

function valueAt(traits: unknown, path: readonly string[]): unknown {
  let node = traits;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const traitNode = (field: TraitField, group: UiNode['group'], traits: unknown) =>
  input(group, field.name, field.inputType, {
    value: valueAt(traits, field.path),
    required: field.required,
    autocomplete: field.inputType === 'email' ? 'email' : undefined,
    label: text.labelGenerated(field.title ?? field.path.join('.')),
  });

/** The nodes of a flow, with the values and messages its last submission left. */
export function flowNodes(
  flow: FlowRecord,
  schema: IdentitySchema,
  traits: unknown,
  state: FlowUiState,
): UiNode[] {
  const nodes: UiNode[] = [];
  if (flow.kind === 'browser' && flow.csrf_token) {
    nodes.push(input('default', 'csrf_token', 'hidden', { value: flow.csrf_token, required: true }));
  }
  if (flow.type === 'login') {
    const identifierFields = schema.fields.filter((field) => field.passwordIdentifier);
    const only = identifierFields.length === 1 ? identifierFields[0] : undefined;
    nodes.push(
      input('default', 'identifier', 'text', {
        value: '',
        required: true,
        autocomplete: 'username',
        label: only?.title ? text.labelGenerated(only.title) : text.labelId(),
      }),
      input('password', 'password', 'password', {
        required: true,
        autocomplete: 'current-password',
        label: text.labelPassword(),
      }),
      input('password', 'method', 'submit', { value: 'password', label: text.infoLogin() }),
    );
  } else if (flow.type === 'registration') {
    nodes.push(
      ...schema.fields.map((field) => traitNode(field, 'password', traits)),
      input('password', 'password', 'password', {
        required: true,
        autocomplete: 'new-password',
        label: text.labelPassword(),
      }),
      input('password', 'method', 'submit', { value: 'password', label: text.infoRegistration() }),
    );
  } else {
    nodes.push(
      ...schema.fields.map((field) => traitNode(field, 'profile', traits)),
      input('profile', 'method', 'submit', { value: 'profile', label: text.labelSave() }),
      input('password', 'password', 'password', {
        required: true,
        autocomplete: 'new-password',
        label: text.labelPassword(),
      }),
      input('password', 'method', 'submit', { value: 'password', label: text.labelSave() }),
    );
  }
  for (const node of nodes) {
    const remembered = state.nodes?.[node.attributes.name];
    if (!remembered) continue;
    if (
      remembered.value !== undefined &&
      node.attributes.type !== 'password' &&
      node.attributes.type !== 'submit'
    )
      node.attributes.value = remembered.value;
    if (node.attributes.type !== 'submit') node.messages = remembered.messages ?? [];
  }
  return nodes;
}
