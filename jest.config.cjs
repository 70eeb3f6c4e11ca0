/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    // eventsource-parser 4 ships ESM only; ts-jest turns it into CJS for the test runtime
    // (the published builds bundle it instead, see rollup.config.mjs).
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: { warnOnly: false } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!eventsource-parser/)'],
  testTimeout: 15000,
}
