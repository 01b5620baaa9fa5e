import type { ServerResponse } from 'node:http';

/**
 * Response writes held to the end of the event loop's current turn (its I/O phase: the callbacks
 * of one `epoll_wait`, and their microtasks), then made together, in the order they were asked.
 *
 * Why: under load a gateway finishes many responses per turn, one per upstream answer read in
 * it. Written as each is finished, the writes are tens of µs apart, and a client waiting on
 * several of these connections (a load balancer, an SDK with a connection pool, an ingress) is
 * woken for nearly each of them: a wake-up costs the writer (the kernel's wake-up in its send)
 * and the client (a context switch and a pass of its event loop) more than the write itself. Made
 * back to back, the writes of one turn wake such a client once. Measured on the router at
 * concurrency 64 (bench/router/README.md, stop 30): the load generator's wake-ups per response
 * fell from ~0.45 to ~0.12 (~0.53 to ~0.16 streaming), its CPU per response and the router's
 * own by 10-20%. Envoy writes the same way: a connection's `write` fills its buffer, and the
 * socket is written when the dispatcher next handles the connection's write event.
 *
 * What a response waits: the rest of the turn it was finished in. Nothing when the gateway is
 * idle (one answer per turn); under load, the handling of the other answers read in the same
 * turn, while every response waits for the CPU anyway (at a fixed concurrency, more responses per
 * second is a lower mean latency). Not for writes that must leave at once whatever the cost.
 *
 * Not `cork()`: `ServerResponse.end` fully uncorks its socket, so a cork cannot hold an ended
 * response. The response's own state (`headersSent`, `statusCode`) is set when its head is
 * (`writeHead`); only the bytes wait. `isEnding` tells whoever else might end it (an error
 * path) that its end is on the way.
 */
const queue: unknown[] = [];
let scheduled = false;
const ENDING = Symbol('ending');

type Ending = ServerResponse & { [ENDING]?: true };

/**
 * `task(arg)` at the end of this turn, after the tasks asked before it. A task asked while the
 * tasks run waits for the next turn's end.
 */
export function atTurnEnd<T>(task: (arg: T) => void, arg: T): void {
  queue.push(task, arg, undefined);
  schedule();
}

/** `response.end(chunk)` at the end of this turn (skipped if the response is gone or ended by then). */
export function endAtTurnEnd(response: ServerResponse, chunk?: string | Buffer): void {
  (response as Ending)[ENDING] = true;
  queue.push(end, response, chunk);
  schedule();
}

/** True once `endAtTurnEnd` was asked for this response (its end is on the way, or made). */
export function isEnding(response: ServerResponse): boolean {
  return (response as Ending)[ENDING] === true;
}

function end(response: ServerResponse, chunk: string | Buffer | undefined): void {
  if (response.destroyed || response.writableEnded) return;
  try {
    response.end(chunk);
  } catch (error) {
    // As a write that fails: the connection goes, and the client sees the response cut short.
    response.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(run);
}

function run(): void {
  scheduled = false;
  const tasks = queue.splice(0, queue.length);
  for (let i = 0; i < tasks.length; i += 3) {
    try {
      (tasks[i] as (a: unknown, b: unknown) => void)(tasks[i + 1], tasks[i + 2]);
    } catch (error) {
      // A task's own failure (a bug: tasks handle theirs) must not hold up the others' writes.
      process.emitWarning(error instanceof Error ? error : String(error), { code: 'VECTORSTACK_TURN_END_TASK' });
    }
  }
}
