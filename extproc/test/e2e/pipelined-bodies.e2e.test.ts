// The gateway and ClawShield end-to-end suites once more, with Envoy pipelining bodies (ACC_EXTPROC_PIPELINED_BODIES):
// STREAMED bodies sent without waiting for extproc's headers reply, held headers replies, whole bodies judged
// (extproc/src/grpc/pipelined-bodies.ts). Same assertions: bytes, credentials, usage, cost, redaction, refusals.
// Each test file runs in its own worker, so setting the variable here changes no other file's gateway.
process.env.ACC_TEST_PIPELINED_BODIES = '1';
await import('./gateway.e2e.test.js');
await import('./security.e2e.test.js');
