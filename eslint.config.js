import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'scratch/', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'no-console': 'error',
    },
  },
  {
    files: ['scripts/**/*.js', 'bench/**/*.js', 'bench/**/*.mjs', 'bin/**/*.js'],
    languageOptions: {globals: {process: 'readonly', console: 'readonly'}},
  },
);
