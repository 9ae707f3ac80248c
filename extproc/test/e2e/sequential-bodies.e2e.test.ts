// The gateway and ClawShield end-to-end suites once more, with Envoy buffering request bodies (BUFFERED, the mode
// used with fail-open, ACC_EXTPROC_PIPELINED_BODIES=false) instead of pipelining them: extproc answers the headers
// at once and gets the whole body from Envoy. Same assertions: bytes, credentials, usage, cost, redaction, refusals.
// Each test file runs in its own worker, so setting the variable here changes no other file's gateway.
process.env.ACC_TEST_PIPELINED_BODIES = '0';
await import('./gateway.e2e.test.js');
await import('./security.e2e.test.js');
