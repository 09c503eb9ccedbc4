/**
 * V8 flags for the process that acknowledges webhooks (`serve`): the container's ENTRYPOINT and `npm start` pass
 * them, a hand-started `serve` restarts itself with them (bin/node-flags.js), and `bench:webhooks` starts its API
 * process with them, so the bench measures what is deployed (test/build/api-node-flags.test.ts and
 * test/cli/serve-node-flags.test.ts keep the four in step).
 *
 * Why: at 1,000 events/s (ten 100-event deliveries at once each second) V8 kept the API's young generation at
 * 1–4 MB, so a scavenge ran about every second, mostly in the middle of a burst, and promoted the deliveries in
 * flight; with a live heap of ~30 MB and V8's tight old-generation limit for a process that allocates slowly
 * (about 1.1× the live size), that garbage started a full mark-compact every 12–16 s, two or three in each 30 s
 * measured run. Measured with `bench:webhooks` (embedded, 5 runs, --trace-gc, shared machine at load 13–20):
 * GC pauses per run 11–44 without the flags, 4–8 with the young generation at 16 MB (a scavenge every ~8 s), 4–6
 * with the old generation allowed to grow by 100 % (a mark-compact every ~60 s instead of every ~16 s). The cost
 * is memory: about 30 MB more young generation and up to ~8 MB more old garbage in this process.
 *
 * `serve`'s worker process inherits them (fork passes the parent's flags on); a larger young generation costs
 * ingest nothing either.
 */
export const API_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--heap-growing-percent=100'];
