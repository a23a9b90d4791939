// Reachability: probe one pair, or a matrix of all pairs.
//
// API for the socket.io layer (the engine is the same object the server already holds):
//
//   probe(engine, sessionId, from, to, opts?) → Promise<ProbeResult>
//     from: a node name ('host', 'netns1', a container, a bridge node, a namespace made by hand) or an
//           address one of the session's nodes owns; to: NODE | ADDRESS | NODE:PORT | ADDRESS:PORT
//           (a port means TCP connect + HTTP GET). Throws ProbeInputError (message for the user) for
//           bad or unknown input before anything runs; SessionNotFound for an unknown session.
//     ProbeResult: {ok, reason?, hop?: {node, interface?}, rtt_ms?, path: Hop[], detail?, drop?, from, to,
//           proto, http?, evidence, ms}. path holds both legs ('request' then 'reply') with node,
//           interface, dir ('out' | 'in' | 'local'), bridge (when the interface is a bridge port) and nat;
//           on failure it ends at the hop where the packet died — animate it hop by hop, then mark
//           `hop` red with `reason` and `detail`.
//     Time: one observation of the session (one script in the session's holder reading every namespace:
//     ip batch, iptables-save, sysctls — see session-script.ts), then at most
//     0.4 s waiting for the plain ping/curl and, only when that fails without a clear answer, 0.8 s for
//     the traced attempt — plus process start-up, which dominates on a busy machine.
//     Wire as: 'probe:run' {sessionId, from, to} → ack {ok:true, data: ProbeResult} and emit 'probe:result'.
//
//   matrix(engine, sessionId, nodes?, {detail?, onCells?}) → Promise<MatrixResult>
//     nodes: node names (default: every node with an address). cells: one per ordered pair (from ≠ to)
//     {from, to, address, ok, rtt_ms?, reason?, hop?, detail?, evidence}. `onCells` fires with the
//     ok/fail table as soon as fping is done; kernel-confirmed reasons follow in the resolved result for
//     one pair per distinct (reason, hop) class of the route walk and every pair the walk expected to
//     work (up to `detail`, default 10); the other failing pairs keep the walk's reason (evidence 'walk').
//
//   REASONS — the vocabulary of `reason`; walkFlow/NetView — the pure route walk, for tests and previews.
//
// Everything a probe inserts (TRACE rules tagged `nsplay-probe:<id>`) or starts (xtables-monitor,
// tcpdump taps, ping, curl, fping) is removed or ended by PID before the promise settles.
export { probe, resolveFlow, ProbeInputError, type ProbeOptions } from './probe.ts';
export { matrix, type MatrixOptions } from './matrix.ts';
export { takeSnapshot, type Snapshot } from './snapshot.ts';
export { NetView } from './netview.ts';
export { walkFlow, type FlowSpec, type WalkResult } from './walk.ts';
export { parseSource, parseTarget } from './target.ts';
export { REASONS, type Reason, type Hop, type HopRef, type DropInfo, type ProbeResult, type MatrixCell, type MatrixResult } from './types.ts';
