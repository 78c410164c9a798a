/** The smallest rule the loader accepts (noop, allow, noop), with the test's changes on top. */
export const minimalRule = (overrides: Record<string, unknown> = {}) => ({
  id: 'r',
  match: { url: 'http://<[^/]+>/r', methods: ['GET'] },
  authenticators: [{ handler: 'noop' }],
  authorizer: { handler: 'allow' },
  mutators: [{ handler: 'noop' }],
  upstream: { url: 'http://127.0.0.1:1' },
  ...overrides,
});
