import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '@mesh/config';
import { gatewaySchema, type GatewayConfig } from '../src/config';
import { loadRules } from '../src/rules/repository';

/** The fixtures are committed next to the sources; the compiled test runs from dist/test. */
const fixtures = join(__dirname, '..', '..', 'test', 'fixtures', 'oathkeeper-docs');
const scratch = mkdtempSync(join(tmpdir(), 'oathkeeper-docs-'));

/**
 * The global handler config each page shows in its "Global configuration file oathkeeper.yml" block (or,
 * for Oathkeeper's own rule files, its test config), as config flags. Keys the rule leaves to the global
 * config are required, as in Oathkeeper.
 */
const globals = {
  jwt: 'authenticators.jwt.config.jwks_urls=["https://my-website.com/.well-known/jwks.json"]',
  clientCredentials:
    'authenticators.oauth2_client_credentials.config.token_url=https://my-website.com/oauth2/token',
  introspection:
    'authenticators.oauth2_introspection.config.introspection_url=https://my-website.com/oauth2/introspection',
  idTokenKeys: 'mutators.id_token.config.jwks_url=https://fetch-keys/from/this/location.json',
  idTokenIssuer: 'mutators.id_token.config.issuer_url=https://my-oathkeeper/',
  redirectTo: 'errors.handlers.redirect.config.to=http://127.0.0.1:4455/login',
  glob: 'access_rules.matching_strategy=glob',
};

/**
 * Every fixture, what it needs and what must happen: 'accepted' (every rule compiled), or the message it is
 * refused with. The refusals are the docs' own mistakes, which Oathkeeper refuses too (fixtures README).
 */
const expectations: Record<string, { flags?: string[]; expect: 'accepted' | RegExp }> = {
  'api-access-rules--examples.json': { expect: 'accepted' },
  'api-access-rules--examples.yaml': { expect: 'accepted' },
  'api-access-rules--handler-configuration.json': { expect: 'accepted' },
  'authn--anonymous-access-rule-example.json': { expect: 'accepted' },
  'authn--bearer-token-access-rule-example.json': { expect: 'accepted' },
  'authn--cookie-session-access-rule-example.json': { expect: 'accepted' },
  'authn--jwt-access-rule-example.json': { flags: [globals.jwt], expect: 'accepted' },
  'authn--noop-access-rule-example.json': { expect: /0\.authorizer is required/ },
  'authn--oauth2-client-credentials-access-rule-example.json': {
    flags: [globals.clientCredentials],
    expect: 'accepted',
  },
  'authn--oauth2-introspection-access-rule-example.json': {
    flags: [globals.introspection],
    expect: 'accepted',
  },
  'authn--unauthorized-access-rule-example.json': { expect: /0\.authorizer is required/ },
  'authz--allow-access-rule-example.json': { expect: 'accepted' },
  'authz--deny-access-rule-example.json': { expect: 'accepted' },
  'authz--keto-engine-acp-ory-access-rule-example.json': { expect: /Missing , between flow map items/ },
  'authz--remote-access-rule-example.json': { expect: /Missing , between flow map items/ },
  'authz--remote-json-access-rule-example.json': { expect: /Missing , between flow map items/ },
  'docs-code-examples--access-rules.yml': { flags: [globals.glob], expect: 'accepted' },
  'mutator--cookie-example.json': { expect: 'accepted' },
  'mutator--header-access-rule-example.json': { expect: 'accepted' },
  'mutator--hydrator-access-rule-example.json': { expect: 'accepted' },
  'mutator--id-token-access-rule-example.json': {
    flags: [globals.idTokenKeys, globals.idTokenIssuer],
    expect: /mutator "id_token": .*unknown property "aud"/,
  },
  'mutator--noop-access-rule-example.json': { expect: 'accepted' },
  'oathkeeper--docker-compose-rules.json': {
    flags: [globals.idTokenKeys, globals.idTokenIssuer, globals.redirectTo],
    expect: 'accepted',
  },
  // Three rules with one match.url: Oathkeeper loads them and answers 500 per request; ours refuses at load.
  'oathkeeper--test-stub-rules.json': {
    flags: [globals.idTokenKeys, globals.idTokenIssuer],
    expect: /rules test-rule-1 and test-rule-2 both match GET myproxy\.com\/api/,
  },
  'oathkeeper--test-stub-rules.yaml': { expect: 'accepted' },
};

const configFor = (file: string, flags: string[]): GatewayConfig =>
  loadConfig<GatewayConfig>({
    schema: gatewaySchema,
    env: {},
    flags: [`access_rules.repositories=file://${file}`, ...flags],
  });

/**
 * The file as the rule loader reads it. A page that shows one rule object (not a repository's list) is
 * loaded as the one-rule list a repository file holds; everything else is loaded from the fixture itself.
 */
function repositoryFile(name: string): string {
  const path = join(fixtures, name);
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch {
    return path;
  }
  if (Array.isArray(parsed)) return path;
  const wrapped = join(scratch, `${name}.json`);
  writeFileSync(wrapped, JSON.stringify([parsed]));
  return wrapped;
}

describe("Oathkeeper's documentation rule files, unchanged, through the real rule loader", () => {
  it('every fixture has an expectation, and every expectation a fixture', () => {
    const files = readdirSync(fixtures).filter((file) => file !== 'README.md');
    assert.deepEqual(files.sort(), Object.keys(expectations).sort());
  });

  for (const [name, { flags = [], expect }] of Object.entries(expectations)) {
    it(`${name}: ${expect === 'accepted' ? 'accepted and compiled' : `refused (${String(expect)})`}`, () => {
      const file = repositoryFile(name);
      if (expect === 'accepted') {
        const rules = loadRules(configFor(file, flags));
        const written = parseYaml(readFileSync(file, 'utf8')) as { id: string }[];
        assert.deepEqual(
          rules.map((rule) => rule.id),
          written.map((rule) => rule.id),
          'every rule of the file is compiled',
        );
      } else assert.throws(() => loadRules(configFor(file, flags)), expect);
    });
  }

  it('a doc rule naming a handler the gateway does not implement is refused by name', () => {
    // keto_engine_acp_ory's only doc rule is not valid JSON (above); its handler name alone, in the
    // api-access-rules example otherwise unchanged, shows the refusal a valid file would get.
    const example = parseYaml(readFileSync(join(fixtures, 'api-access-rules--examples.yaml'), 'utf8')) as {
      authorizer: { handler: string };
    };
    example.authorizer = { handler: 'keto_engine_acp_ory' };
    const file = join(scratch, 'keto.json');
    writeFileSync(file, JSON.stringify([example]));
    assert.throws(
      () => loadRules(configFor(file, [])),
      /rule some-id: unknown authorizer "keto_engine_acp_ory"/,
    );
  });
});
