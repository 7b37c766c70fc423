/** One Jest run for the whole repository: unit tests next to each package, cross-package tests in test/. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' } }],
  },
  moduleNameMapper: {
    '^@flockmq/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@flockmq/([a-z-]+)/(.+)$': '<rootDir>/packages/$1/src/$2',
  },
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 30000,
};
