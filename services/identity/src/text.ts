/**
 * Kratos's UI messages: the numeric ids and English texts of ory/kratos `text/`, so a UI built for Kratos
 * (or translating by id) shows ours unchanged.
 */
export interface UiText {
  id: number;
  text: string;
  type: 'info' | 'error' | 'success';
  context?: Record<string, unknown>;
}

const error = (id: number, text: string, context?: Record<string, unknown>): UiText => ({
  id,
  text,
  type: 'error',
  ...(context ? { context } : {}),
});
const info = (id: number, text: string, context?: Record<string, unknown>): UiText => ({
  id,
  text,
  type: 'info',
  ...(context ? { context } : {}),
});

export const text = {
  infoLogin: () => info(1010001, 'Sign in'),
  infoRegistration: () => info(1040001, 'Sign up'),
  infoSettingsSaved: () => ({ ...info(1050001, 'Your changes have been saved!'), type: 'success' as const }),
  labelPassword: () => info(1070001, 'Password'),
  labelSave: () => info(1070003, 'Save'),
  labelId: () => info(1070004, 'ID'),
  labelSubmit: () => info(1070005, 'Submit'),
  labelGenerated: (title: string) => info(1070002, title, { title }),

  generic: (reason: string) => error(4000001, reason, { reason }),
  required: (property: string) => error(4000002, `Property ${property} is missing.`, { property }),
  minLength: (min: number, actual: number) =>
    error(4000003, `length must be >= ${min}, but got ${actual}`, { min_length: min, actual_length: actual }),
  invalidFormat: (pattern: string) =>
    error(4000004, `does not match pattern ${JSON.stringify(pattern)}`, { pattern }),
  invalidCredentials: () =>
    error(
      4000006,
      'The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.',
    ),
  duplicateCredentials: () =>
    error(4000007, 'An account with the same identifier (email, phone, username, ...) exists already.'),
  maxLength: (max: number, actual: number) =>
    error(4000017, `length must be <= ${max}, but got ${actual}`, { max_length: max, actual_length: actual }),
  minimum: (min: number, actual: number) =>
    error(4000018, `must be >= ${min} but found ${actual}`, { minimum: min, actual }),
  exclusiveMinimum: (min: number, actual: number) =>
    error(4000019, `must be > ${min} but found ${actual}`, { minimum: min, actual }),
  maximum: (max: number, actual: number) =>
    error(4000020, `must be <= ${max} but found ${actual}`, { maximum: max, actual }),
  exclusiveMaximum: (max: number, actual: number) =>
    error(4000021, `must be < ${max} but found ${actual}`, { maximum: max, actual }),
  multipleOf: (base: number, actual: number) =>
    error(4000022, `${actual} not multipleOf ${base}`, { base, actual }),
  maxItems: (max: number, actual: number) =>
    error(4000023, `maximum ${max} items allowed, but found ${actual} items`, {
      max_items: max,
      actual_items: actual,
    }),
  minItems: (min: number, actual: number) =>
    error(4000024, `minimum ${min} items allowed, but found ${actual} items`, {
      min_items: min,
      actual_items: actual,
    }),
  uniqueItems: (a: number, b: number) =>
    error(4000025, `items at index ${a} and ${b} are equal`, { index_a: a, index_b: b }),
  wrongType: (allowed: string[], actual: string) =>
    error(4000026, `expected ${allowed.join(' or ')}, but got ${actual}`, {
      allowed_types: allowed,
      actual_type: actual,
    }),
  constGeneric: () => error(4000030, 'const failed'),
  passwordMinLength: (min: number, actual: number) =>
    error(4000032, `The password must be at least ${min} characters long, but got ${actual}.`, {
      min_length: min,
      actual_length: actual,
    }),
  passwordMaxLength: (max: number, actual: number) =>
    error(4000033, `The password must be at most ${max} characters long, but got ${actual}.`, {
      max_length: max,
      actual_length: actual,
    }),
  email: (value: string) => error(4000040, 'Enter a valid email address', { value }),
  loginFlowExpired: (minutes: number) =>
    error(4010001, `The login flow expired ${minutes.toFixed(2)} minutes ago, please try again.`, {
      expired_at_unix: Math.floor(Date.now() / 1000),
    }),
  identityDisabled: () =>
    error(4010011, 'This account has been disabled. Please contact support for assistance.'),
  registrationFlowExpired: (minutes: number) =>
    error(4040001, `The registration flow expired ${minutes.toFixed(2)} minutes ago, please try again.`),
  settingsFlowExpired: (minutes: number) =>
    error(4050001, `The settings flow expired ${minutes.toFixed(2)} minutes ago, please try again.`),
} as const;

export const flowExpiredText = {
  login: text.loginFlowExpired,
  registration: text.registrationFlowExpired,
  settings: text.settingsFlowExpired,
} as const;
