import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // OPL models are Keto's language in TypeScript syntax: their classes are read by the permission
  // service, never imported, so they are not linted as code.
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', 'bench/**', '**/*.keto.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/services/*',
                '@mesh/gateway',
                '@mesh/identity',
                '@mesh/permission',
                '@mesh/documents',
                '@mesh/oauth2',
              ],
              message: 'A service imports libs, never another service.',
            },
          ],
        },
      ],
    },
  },
  {
    // The services' bins: plain CommonJS that npm links before the build, loading dist/.
    files: ['services/*/bin/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', __dirname: 'readonly', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'No focused tests.' },
      ],
    },
  },
);
