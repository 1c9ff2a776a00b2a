/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/**/*.spec.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', {}],
    // @noble/* v2 ships ESM only; transpile it to CommonJS for jest.
    '^.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@noble/)'],
  testTimeout: 60000,
  // CI machines have 2 cores; jest's default (cores − 1) ran one suite at a time and took ~24 min with
  // the session suites. Two workers: each spawning suite keeps a core (timeouts sized for a loaded machine).
  maxWorkers: 2,
};
