// Lint enforces the layering of docs/architecture.md: imports point inward, and the pure
// folders read no clock, draw no random number and do no I/O (time and randomness are arguments).
import tseslint from 'typescript-eslint';

const PURE = ['src/core/**/*.ts', 'src/config/**/*.ts', 'src/vrrp/**/*.ts', 'src/balance/**/*.ts', 'src/check/**/*.ts'];
const PURE_EXCEPT = ['src/check/probes/**', 'src/check/runner/**', '**/*.test.ts'];
const SHELL = ['src/net/**/*.ts', 'src/track/**/*.ts', 'src/proxy/**/*.ts', 'src/notify/**/*.ts', 'src/api/**/*.ts', 'src/check/probes/**/*.ts', 'src/check/runner/**/*.ts'];

const IO_MODULES = ['net', 'dgram', 'fs', 'fs/promises', 'child_process', 'timers', 'timers/promises', 'http', 'https', 'http2', 'tls', 'dns', 'dns/promises', 'os', 'worker_threads', 'cluster', 'perf_hooks', 'process', 'crypto'];
const ioPaths = IO_MODULES.flatMap((m) => [
  { name: m, message: 'Pure folders do no I/O: take it through a port (see docs/architecture.md)' },
  { name: `node:${m}`, message: 'Pure folders do no I/O: take it through a port (see docs/architecture.md)' },
]);
const layer = (names, why) => ({ group: names.flatMap((n) => [`**/${n}/**`, `**/${n}`]), message: why });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'native/build/**', 'test/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioPaths,
        patterns: [layer(['config', 'vrrp', 'check', 'balance', 'proxy', 'net', 'notify', 'api', 'daemon', 'cli'], 'core imports nothing from other layers')],
      }],
    },
  },
  {
    files: PURE,
    ignores: [...PURE_EXCEPT, 'src/core/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioPaths,
        patterns: [
          layer(['proxy', 'net', 'notify', 'api', 'daemon', 'cli', 'probes', 'runner'], 'Pure folders import only core and other pure folders'),
        ],
      }],
    },
  },
  {
    files: PURE,
    ignores: PURE_EXCEPT,
    rules: {
      'no-restricted-globals': ['error',
        { name: 'Date', message: 'No clock in pure code: take nowMs as an argument' },
        { name: 'setTimeout', message: 'No timers in pure code: return a SetTimer effect' },
        { name: 'setInterval', message: 'No timers in pure code: return a SetTimer effect' },
        { name: 'setImmediate', message: 'No timers in pure code' },
        { name: 'queueMicrotask', message: 'No scheduling in pure code' },
        { name: 'performance', message: 'No clock in pure code' },
        { name: 'process', message: 'No process state in pure code' },
        { name: 'require', message: 'ESM only' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'No randomness in pure code: take a Prng' },
      ],
    },
  },
  {
    files: SHELL,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [layer(['daemon', 'cli'], 'Shell folders do not import the runtime or the CLI')],
      }],
    },
  },
  {
    files: ['src/daemon/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [layer(['cli'], 'The runtime does not import the CLI')] }],
    },
  },
);
