// Summarises a V8 .cpuprofile (from `BENCH_EXTPROC_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" tsx bench/run.ts`):
// where extproc's CPU goes, by component and by function, so a missed target can be traced to code.
// Usage: tsx bench/cpu-profile.ts FILE.cpuprofile [--top N]
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Coarse owner of a frame: is the time ours, a dependency's, Node's, or the engine's? */
function component(f: CallFrame): string {
  const u = f.url;
  if (f.functionName === '(idle)') return '(idle)';
  if (f.functionName === '(garbage collector)') return '(garbage collector)';
  if (f.functionName === '(program)') return '(program: native, not attributed)';
  if (u.includes('/extproc/dist/') || u.includes('/extproc/src/')) return 'extproc (ours)';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (dep) return dep[1] as string;
  if (u.startsWith('node:') || u === '') return 'node internals';
  return u;
}

function where(f: CallFrame): string {
  // Profiles point at the compiled extproc/dist/*.js; its line numbers are close to, not equal to, src's.
  const file = f.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/(extproc\/dist\/)/, '$1')
    .replace(/^.*\/node_modules\//, '');
  return `${f.functionName || '(anonymous)'}  ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
  if (!file) {
    process.stderr.write('usage: tsx bench/cpu-profile.ts FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));

  // Self time per node, then inclusive time by walking the call tree from the root.
  const self = new Map<number, number>();
  for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + msPerSample);
  const inclusive = new Map<number, number>();
  const walk = (id: number): number => {
    const node = byId.get(id) as ProfileNode;
    let total = self.get(id) ?? 0;
    for (const child of node.children ?? []) total += walk(child);
    inclusive.set(id, total);
    return total;
  };
  walk(profile.nodes[0]?.id as number);

  const totalMs = profile.samples.length * msPerSample;
  const idleMs = [...self].reduce(
    (s, [id, t]) => s + (byId.get(id)?.callFrame.functionName === '(idle)' ? t : 0),
    0,
  );
  const busyMs = totalMs - idleMs;
  const add = (map: Map<string, number>, key: string, v: number) => map.set(key, (map.get(key) ?? 0) + v);
  const byComponent = new Map<string, number>();
  const bySelf = new Map<string, number>();
  const byInclusiveOurs = new Map<string, number>();
  for (const node of profile.nodes) {
    const s = self.get(node.id) ?? 0;
    add(byComponent, component(node.callFrame), s);
    if (node.callFrame.functionName !== '(idle)') add(bySelf, where(node.callFrame), s);
    // Inclusive time of our own functions, counted once per call path (recursion would double count: rare here).
    if (component(node.callFrame) === 'extproc (ours)') {
      add(byInclusiveOurs, where(node.callFrame), inclusive.get(node.id) ?? 0);
    }
  }
  const share = (v: number) => `${((v / busyMs) * 100).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${share(v)}  ${v.toFixed(0).padStart(7)} ms  ${k}`);

  console.log(
    `${file}: ${(totalMs / 1000).toFixed(1)} s profiled, ${(busyMs / 1000).toFixed(1)} s busy (percentages of busy)`,
  );
  console.log('\nself time by component');
  console.log(list(new Map([...byComponent].filter(([k]) => k !== '(idle)')), 15).join('\n'));
  console.log(`\ntop ${top} functions by self time`);
  console.log(list(bySelf, top).join('\n'));
  console.log('\nextproc functions by inclusive time (self + callees)');
  console.log(list(byInclusiveOurs, 15).join('\n'));
}

main();
