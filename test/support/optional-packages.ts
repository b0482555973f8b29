// Packages only an optional feature needs: PKCS12/JKS stores (node-forge, jks-js), --inspect's
// bridge (@statelyai/inspect, ws) and the Prometheus endpoint (prom-client). A server loads them
// only when the feature is on; test/cli/server-imports.test.ts checks the sources and
// test/cli/bundle.test.ts the built file.
export const optionalFeaturePackages =
  ['node-forge', 'jks-js', '@statelyai/inspect', 'ws', 'prom-client'] as const;
