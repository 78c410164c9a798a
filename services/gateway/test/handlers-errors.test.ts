import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHandlersGateway, type HandlersGateway } from './support/handlers-gateway';

describe('handlers: error handlers chosen by when', () => {
  let fx: HandlersGateway;
  before(async () => {
    fx = await startHandlersGateway();
  });
  after(() => fx.stop());

  it('errors: redirect for a browser (Accept text/html) with return_to, JSON for an API client', async () => {
    const browser = await fx.get('/browser/page?x=1', { accept: 'text/html,application/xhtml+xml' });
    assert.equal(browser.status, 302);
    const location = new URL(String(browser.headers.get('location')));
    assert.equal(`${location.origin}${location.pathname}`, 'http://app.test/login');
    assert.equal(location.searchParams.get('return_to'), `${fx.gatewayUrl}/browser/page?x=1`);
    const api = await fx.get('/browser/page', { accept: 'application/json' });
    assert.equal(api.status, 401);
    assert.equal(((await api.json()) as { error: { code: number } }).error.code, 401);
    const neither = await fx.get('/browser/page', { accept: 'image/png' });
    assert.equal(neither.status, 401, 'errors.fallback (json) when no when matches');
  });

  it('errors: www_authenticate answers 401 with a Basic challenge', async () => {
    const response = await fx.get('/basic/x');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Basic realm="documents"');
  });
});
