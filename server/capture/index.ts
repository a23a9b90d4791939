// Live capture: decoded one-line packet summaries for the page, every packet into a pcap file.
//
// API for the socket.io layer:
//
//   const captures = createCaptureRegistry({engine, pcapDir?, maxPerSession?})   — once, at the composition root
//
//   'capture:start' {sessionId, node, iface, filter?} →
//       const c = await captures.start(socket.id, sessionId, node, iface, filter)
//       ack {ok:true, data:{captureId: c.id}}; throws CaptureInputError (a sentence for the user) for a bad
//       node/interface/filter — the filter is validated, never starts with '-', and goes after `--`.
//       c.on('packets', (batch) => socket.emit('capture:packets', batch))
//         batch = {captureId, packets: PacketSummary[], stats, note?}; a quiet link's packets within ~2 ms
//         (up to 25 early batches a second), else one batch per 100 ms; at most
//         ~200 packets/s (busier links are sampled: note = "12,403 packets, showing 1 in 50"), at most
//         1 MiB waiting; stats = {packets, shown, sampledOut, dropped, kernelDropped, pcapPackets,
//         pcapBytes, pcapCapped, running, sampling}. `packets` counts the pcap's records as the writing
//         tcpdump hands them over (a block at a time: up to 1 s behind the live summaries); the capture
//         ends when its pcap reaches the size cap (pcapCapped) and stop() takes up to ~1 s (the last block).
//         PacketSummary = {t (epoch s), iface, dir?, src, dst, proto, info, srcMac?, dstMac?, length?} —
//         formatSummary(p) gives the tcpdump-like line; (iface, src, dst) is enough to animate a dot on a link.
//       c.on('end', (stats) => socket.emit('capture:end', {captureId, stats}))
//   'capture:stop' {captureId}       → await captures.stop(captureId)
//   socket disconnect                → await captures.stopOwner(socket.id)
//   session destroyed                → await captures.removeSession(sessionId)   (the engine's destroy has
//                                      already killed the tcpdumps; this forgets them and deletes pcaps)
//   pcap download (HTTP route)       → captures.pcapPath(captureId): a finished or growing pcap file
//
//   startCapture(engine, sessionId, node, iface, filter?, {pcapFile?, count?, …}) is the same without the
//   registry (the CLI uses it); `for await (const batch of capture)` reads it without listeners.
export { startCapture, CaptureInputError, type Capture, type CaptureOptions, type CaptureStats, type PacketBatch } from './capture.ts';
export { createCaptureRegistry, type CaptureRegistry, type CaptureRegistryOptions } from './registry.ts';
export { parseTcpdumpLine, formatSummary, type PacketSummary } from './parse-tcpdump.ts';
export { checkFilter, checkCaptureIface } from './filter.ts';
export { Sampler, BoundedQueue } from './sampler.ts';
