// Where extproc's promoted (old-generation) garbage comes from. Two uses of one file:
//   preload: BENCH_EXTPROC_NODE_ARGS="--import ./bench/promoted-heap-profile.mjs" npx tsx bench/extproc-grpc.ts …
//            samples allocations that survive scavenges (including those a later mark-compact frees) for
//            PROMOTED_PROFILE_MS (default 6000) after PROMOTED_PROFILE_DELAY_MS (default 4000), written to
//            PROMOTED_PROFILE_OUT (default /tmp/promoted.heapprofile, loadable in Chrome DevTools);
//   summary: node bench/promoted-heap-profile.mjs /tmp/promoted.heapprofile
//            prints the sampled total and the allocation sites with the most bytes.
// Objects promoted and then dropped are what grows the old space between mark-compacts, so this, not a heap
// snapshot (which collects them first), shows what drives extproc's peak RSS.
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { fileURLToPath } from 'node:url';

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];

function startSampling() {
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  const delayMs = Number(process.env.PROMOTED_PROFILE_DELAY_MS ?? 4000);
  const durationMs = Number(process.env.PROMOTED_PROFILE_MS ?? 6000);
  const out = process.env.PROMOTED_PROFILE_OUT ?? '/tmp/promoted.heapprofile';
  setTimeout(async () => {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: false,
    });
    setTimeout(async () => {
      const { profile } = await post('HeapProfiler.stopSampling');
      writeFileSync(out, JSON.stringify(profile));
    }, durationMs).unref();
  }, delayMs).unref();
}

function summarise(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const bySite = new Map();
  let total = 0;
  const visit = (node) => {
    const frame = node.callFrame;
    const url = frame.url.replace(/^.*\/(node_modules\/|extproc\/dist\/)/, '$1');
    const site = `${frame.functionName || '(anonymous)'} ${url}:${frame.lineNumber + 1}`;
    total += node.selfSize;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  const mb = (bytes) => (bytes / 2 ** 20).toFixed(2).padStart(8);
  console.log(`${mb(total)} MB sampled in all (survived at least one scavenge)`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30))
    console.log(`${mb(bytes)}  ${site}`);
}

if (isMain) summarise(process.argv[2] ?? '/tmp/promoted.heapprofile');
else startSampling();
