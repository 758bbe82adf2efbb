// transmri is an ES module package: `require('transmri')` lands here (the "require" condition of
// package.json's exports) and fails with a message saying what to do instead.
'use strict';
const error = new Error(
  "transmri is ESM-only: load it with `import { ... } from 'transmri'` (or `await import('transmri')` from CommonJS), not require(). " +
    'In TypeScript, set "module": "NodeNext" (or "ESNext") and "type": "module" in package.json.',
);
error.code = 'ERR_REQUIRE_ESM';
throw error;
