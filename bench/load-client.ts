// The orchestrator's side of the load generator's IPC channel: one job at a time, with callbacks at the edges of
// the measured window so CPU counters can be read at the same moments the generator starts and stops counting.
import type { ChildMessage, LoadJob, LoadResult } from './load.js';
import type { forkLoadGenerator } from './procs.js';

type LoadNode = ReturnType<typeof forkLoadGenerator>;

interface Pending {
  id: number;
  resolve: (r: LoadResult) => void;
  reject: (e: Error) => void;
  onPhase: (p: 'measure' | 'end') => void;
}

export class LoadClient {
  private nextId = 1;
  private pending: Pending | null = null;

  constructor(private readonly node: LoadNode) {
    node.child.on('message', (m: ChildMessage) => {
      const p = this.pending;
      if (m.type === 'ready' || p === null || m.id !== p.id) return;
      if (m.type === 'phase') p.onPhase(m.phase);
      else if (m.type === 'result') p.resolve(m.result);
      else p.reject(new Error(`load generator: ${m.message}`));
    });
    node.child.on('exit', () =>
      this.pending?.reject(new Error(`load generator exited\n${node.output.get()}`)),
    );
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.node.child.once('message', () => resolve());
      this.node.child.once('exit', () =>
        reject(new Error(`load generator failed to start\n${this.node.output.get()}`)),
      );
    });
  }

  async run(job: Omit<LoadJob, 'id'>, onPhase: (p: 'measure' | 'end') => void): Promise<LoadResult> {
    const id = this.nextId++;
    // Requests time out after 15 s in the generator, so a job can only overrun this if the generator is wedged.
    const limitMs = job.warmupMs + job.durationMs + 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<LoadResult>((resolve, reject) => {
        this.pending = { id, resolve, reject, onPhase };
        timer = setTimeout(
          () => reject(new Error(`load job ${id} did not finish within ${limitMs} ms`)),
          limitMs,
        );
        this.node.child.send({ ...job, id });
      });
    } finally {
      clearTimeout(timer);
      this.pending = null;
    }
  }
}
