// ESLint flat config: typescript-eslint's recommended rules for every runtime folder,
// React hooks rules for the renderer, Node/browser globals per folder, and Prettier
// deciding formatting (eslint-config-prettier turns off the rules that would fight it).
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: ['.scratch*/', 'node_modules/', 'out/', 'dist/', 'release/', 'test-results/', 'playwright-report/', 'models/**/*.py', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  {
    // Node side: main, engine, CLI, preload (bundled for a sandbox, but written as Node TS), tests, configs.
    files: ['src-main/**/*.ts', 'src-preload/**/*.ts', 'e2e/**/*.ts', 'models/**/*.ts', '**/*.{js,mjs,cjs}', '*.config.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Playwright fixtures take `{}` as their first parameter when they use no other fixture.
    files: ['e2e/**/*.ts'],
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    // The shared contract must stay runtime-neutral: no electron, node or DOM module.
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'electron/*', 'node:*', 'fs', 'path', 'os', 'child_process', 'react', 'react-dom', 'fabric'],
              message: 'src-shared holds pure contracts only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The engine and the app layer are plain Node: the CLI and the tests run them without Electron.
    files: ['src-main/engine/**/*.ts', 'src-main/app/**/*.ts', 'src-main/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The engine, app layer and CLI never import electron.' }] }],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      // The two classic hook rules; v7's React-Compiler rules are left to a later decision.
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The renderer talks to main only through window.stylemap.' }] }],
    },
  },
  prettier,
)
