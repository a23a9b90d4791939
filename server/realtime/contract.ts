// The one event contract between the page and the server: event names (`domain:verb`), payload
// schemas and ack shapes. Pure (no node: imports) so the browser imports the same types.
import { z } from 'zod';
import type { Step } from '../plan/step.ts';
import type { ApplyResult, LabSummary, SessionInfo, SessionStatus, StepEvent } from '../session/types.ts';
import type { Topology } from '../topology/schema.ts';
import type { LabCheck, LabView } from '../labs/runner.ts';
import type { LabProgress } from '../labs/progress.ts';
import type { FieldError } from '../topology/load.ts';
import type { MatrixResult, ProbeResult } from '../probe/types.ts';
import type { CaptureStats, PacketBatch } from '../capture/capture.ts';

export type Ack<T> = { ok: true; data: T } | { ok: false; error: string; fields?: FieldError[] };
export type AckFn<T> = (reply: Ack<T>) => void;

const Token = z.string().regex(/^[a-f0-9]{32}$/, { message: 'a session token is 32 hex digits' });
const LabId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: "a lab id looks like '03-bridge'" });
const NodeRef = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, { message: 'a node name uses letters, digits, _ . -' });
const TermId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const Cells = z.number().int().min(1).max(500);
/** A lab step, 0-based (the runner's numbering; the page shows it 1-based). */
const LabStepIndex = z.number().int().min(0).max(999);
/** A probe end: a node name, an address, or ADDR:PORT / NODE:PORT (parsed again by the probe). */
const ProbeEnd = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.[\]][A-Za-z0-9_.:[\]-]*$/, { message: 'a node name, an address, or ADDRESS:PORT' });
const CaptureId = z.string().regex(/^[a-f0-9]{8}$/, { message: 'a capture id is 8 hex digits' });
/** The document is validated by the engine's own schema where it is used; here only its outer shape. */
const Document = z.object({}).passthrough();

export const schemas = {
  'labs:list': z.object({}).strict(),
  'session:open': z.object({ lab: LabId.optional(), token: Token.optional() }).strict(),
  'session:destroy': z.object({}).strict(),
  'file:load': z.object({ path: z.string().min(1).max(256) }).strict(),
  'topology:preview': z.object({ topology: Document }).strict(),
  'topology:apply': z.object({ topology: Document }).strict(),
  'term:open': z.object({ node: NodeRef, cols: Cells, rows: Cells }).strict(),
  'term:input': z.object({ id: TermId, data: z.string().max(64 * 1024) }).strict(),
  'term:resize': z.object({ id: TermId, cols: Cells, rows: Cells }).strict(),
  'term:ack': z.object({ id: TermId, bytes: z.number().int().min(0).max(2 ** 31) }).strict(),
  'term:close': z.object({ id: TermId }).strict(),
  'lab:load': z.object({}).strict(),
  'lab:progress': z.object({}).strict(),
  'lab:check': z.object({ step: LabStepIndex.optional() }).strict(),
  'lab:reset': z.object({}).strict(),
  'lab:runto': z.object({ step: LabStepIndex }).strict(),
  'probe:run': z.object({ from: ProbeEnd, to: ProbeEnd }).strict(),
  'probe:matrix': z.object({ nodes: z.array(NodeRef).max(64).optional(), detail: z.number().int().min(0).max(20).optional() }).strict(),
  'capture:start': z.object({ node: NodeRef, iface: z.string().min(1).max(15), filter: z.string().max(512).optional() }).strict(),
  'capture:stop': z.object({ captureId: CaptureId }).strict(),
  'capture:list': z.object({}).strict(),
  'demo:start': z.object({}).strict(),
  'demo:stop': z.object({}).strict(),
  'demo:doc': z.object({ topology: Document }).strict(),
  'demo:status': z.object({}).strict(),
  'follow:start': z.object({}).strict(),
  'follow:stop': z.object({}).strict(),
  'roster:list': z.object({}).strict(),
  'roster:goto': z.object({ step: LabStepIndex }).strict(),
  // Only ever looked up among the connected sessions, never used as a path.
  'roster:reset': z.object({ sessionId: z.string().regex(/^[a-z0-9]{1,16}$/, { message: 'a session id looks like s1a2b3c' }) }).strict(),
} as const;

export type Payload<E extends keyof typeof schemas> = z.output<(typeof schemas)[E]>;

export interface OpenedSession {
  token: string;
  /** true when an existing session was re-attached (page reload, network blip). */
  reattached: boolean;
  state: SessionStatus;
  /** The lab's machine (host uplink, internet, external): shown on the canvas, not part of the drawing. */
  sandbox: Topology;
  /** The drawing a new session of this lab starts with. */
  start: Topology;
}

/** The session's lab for the panel and where the learner is in it. */
export interface LabState { lab: LabView; progress: LabProgress }

/** A probe's result, sent to every page of the session (each animates it); `by` is the asking socket. */
export interface ProbeEvent { id: number; from: string; to: string; by: string; result?: ProbeResult; error?: string }
export interface CaptureInfo { captureId: string; node: string; iface: string; filter: string; stats: CaptureStats; pcapUrl: string }

/**
 * A capture batch as one page receives it. `unsent`: summaries this page did not get so far because
 * its connection was more than 1 MiB behind (counted per page, cumulative; absent while none).
 */
export interface PageBatch extends PacketBatch { unsent?: number }

/**
 * Who a socket is, from the token it connected with: the instructor (may present; on a loopback server
 * without tokens everyone is), an attendee (their own sandbox), a viewer (may only follow).
 */
export type Role = 'instructor' | 'attendee' | 'viewer';
/** Events a role may send (the instructor may send all). */
export const ROLE_EVENTS: Record<Exclude<Role, 'instructor'>, (keyof typeof schemas)[]> = {
  attendee: (Object.keys(schemas) as (keyof typeof schemas)[]).filter((e) => !['demo:start', 'demo:stop', 'demo:doc'].includes(e) && !e.startsWith('roster:')),
  viewer: ['labs:list', 'demo:status', 'follow:start', 'follow:stop'],
};
/** A live demo: whose session every follower sees; `role` is the asking socket's. */
export interface DemoStatus { live: boolean; lab?: string; sessionId?: string; role?: Role }
/** What a follower needs to draw the presenter's canvas: its session, drawing, sandbox and kernel state. */
export interface FollowInfo { sessionId: string; lab?: string; doc?: Topology; sandbox: Topology; state: SessionStatus; progress?: LabProgress }

/** One connected session, for the instructor's roster. Steps are 1-based here (as the page shows them). */
export interface RosterEntry {
  sessionId: string;
  lab?: string;
  /** Pages connected to it now. */
  pages: number;
  /** The presenter's own session. */
  presenter: boolean;
  openedAt: number;
  /** Lab sessions: the step the attendee is on (steps + 1 when done), how many passed, since when on it. */
  step?: number;
  steps?: number;
  passed?: number;
  since?: number;
}

export interface Preview { steps: Step[]; script: string }
export interface TermOpened { id: number; node: string }

export interface ClientToServerEvents {
  'labs:list': (p: Payload<'labs:list'>, ack: AckFn<LabSummary[]>) => void;
  'session:open': (p: Payload<'session:open'>, ack: AckFn<OpenedSession>) => void;
  'session:destroy': (p: Payload<'session:destroy'>, ack: AckFn<null>) => void;
  'file:load': (p: Payload<'file:load'>, ack: AckFn<Topology>) => void;
  'topology:preview': (p: Payload<'topology:preview'>, ack: AckFn<Preview>) => void;
  'topology:apply': (p: Payload<'topology:apply'>, ack: AckFn<ApplyResult>) => void;
  'term:open': (p: Payload<'term:open'>, ack: AckFn<TermOpened>) => void;
  'term:input': (p: Payload<'term:input'>) => void;
  'term:resize': (p: Payload<'term:resize'>, ack?: AckFn<null>) => void;
  'term:ack': (p: Payload<'term:ack'>) => void;
  'term:close': (p: Payload<'term:close'>, ack?: AckFn<null>) => void;
  /** The session's lab (steps, prose, check sentences) and its persisted progress. */
  'lab:load': (p: Payload<'lab:load'>, ack: AckFn<LabState>) => void;
  'lab:progress': (p: Payload<'lab:progress'>, ack: AckFn<LabProgress>) => void;
  /** Evaluates one step's checks against the kernel (default: the current step); records progress. */
  'lab:check': (p: Payload<'lab:check'>, ack: AckFn<LabCheck>) => void;
  /** Back to the lab's start under the same session: new namespaces, so every terminal is closed. */
  'lab:reset': (p: Payload<'lab:reset'>, ack: AckFn<LabProgress>) => void;
  /** Runs this session's lab through step `step` (0-based) with its checks: how a fork catches up with the instructor. */
  'lab:runto': (p: Payload<'lab:runto'>, ack: AckFn<LabProgress>) => void;
  /** Can FROM reach TO, and if not where and why; the result also goes to every page as 'probe:result'. */
  'probe:run': (p: Payload<'probe:run'>, ack: AckFn<ProbeResult>) => void;
  /** All-pairs reachability between nodes (default: every node with an address). */
  'probe:matrix': (p: Payload<'probe:matrix'>, ack: AckFn<MatrixResult>) => void;
  /** Starts tcpdump on NODE's IFACE (or `any`); batches arrive as 'capture:packets'. */
  'capture:start': (p: Payload<'capture:start'>, ack: AckFn<CaptureInfo>) => void;
  'capture:stop': (p: Payload<'capture:stop'>, ack: AckFn<CaptureStats>) => void;
  /** The session's captures (running and stopped, with their pcap), after a reload. */
  'capture:list': (p: Payload<'capture:list'>, ack: AckFn<CaptureInfo[]>) => void;
  /** Present this page's session: every page may follow it, read-only. One demo per server. */
  'demo:start': (p: Payload<'demo:start'>, ack: AckFn<DemoStatus>) => void;
  'demo:stop': (p: Payload<'demo:stop'>, ack: AckFn<DemoStatus>) => void;
  /** The presenter's drawing, sent on every change; only the presenting page may send it. */
  'demo:doc': (p: Payload<'demo:doc'>, ack?: AckFn<null>) => void;
  'demo:status': (p: Payload<'demo:status'>, ack: AckFn<DemoStatus>) => void;
  /** Follow the demo: receive its canvas, kernel state, apply steps, probes, captures and terminal output. */
  'follow:start': (p: Payload<'follow:start'>, ack: AckFn<FollowInfo>) => void;
  'follow:stop': (p: Payload<'follow:stop'>, ack: AckFn<null>) => void;
  /** The instructor's roster: every connected session, its lab step and checks. */
  'roster:list': (p: Payload<'roster:list'>, ack: AckFn<RosterEntry[]>) => void;
  /** "Go to step K" to every other page (0-based step). */
  'roster:goto': (p: Payload<'roster:goto'>, ack: AckFn<null>) => void;
  /** Reset one attendee's lab (new namespaces: their terminals close). */
  'roster:reset': (p: Payload<'roster:reset'>, ack: AckFn<LabProgress>) => void;
}

export interface ServerToClientEvents {
  /** Full snapshot: sent first after (re)attaching, then whenever the kernel or the session changed. */
  'topology:state': (s: SessionStatus) => void;
  'session:closed': (p: { id: string; reason: string }) => void;
  'plan:step': (e: StepEvent) => void;
  'term:data': (p: { id: number; data: string }) => void;
  'term:exit': (p: { id: number; code: number; signal?: number }) => void;
  /** Output the server threw away because the page could not keep up (never silent). */
  'term:dropped': (p: { id: number; bytes: number }) => void;
  'server:error': (p: { event: string; error: string }) => void;
  /** A lab's progress changed (a check ran or the lab was reset), for every page of the session. */
  'lab:progress': (p: LabProgress) => void;
  /** A probe started (no result yet) or finished, for every page of the session. */
  'probe:result': (p: ProbeEvent) => void;
  /** Decoded packet summaries of a capture (rate-limited, sampled when busy). */
  'capture:packets': (p: PageBatch) => void;
  'capture:end': (p: { captureId: string; stats: CaptureStats }) => void;
  /** A demo started or ended (to every page). */
  'demo:live': (p: DemoStatus) => void;
  /** The presenter's drawing changed (to followers). */
  'follow:doc': (p: { topology: Topology }) => void;
  /** Output of the presenter's terminals, read-only (to followers). */
  'follow:term': (p: { id: number; data: string }) => void;
  /** The instructor asks every page to go to this lab step (0-based). */
  'lab:goto': (p: { step: number }) => void;
}

export type ClientEvent = keyof ClientToServerEvents;
export type { MatrixResult, PacketBatch, ProbeResult, CaptureStats };
export type { ApplyResult, LabCheck, LabProgress, LabSummary, LabView, SessionInfo, SessionStatus, StepEvent };

/** Every event the client may send; anything else is refused. */
export const CLIENT_EVENTS = Object.keys(schemas) as ClientEvent[];

/** The error ack a handler sends for a payload that does not parse. */
export function invalidPayload(event: string, error: z.ZodError): { ok: false; error: string } {
  const first = error.issues[0];
  const where = first?.path.length ? first.path.join('.') : 'payload';
  return { ok: false, error: `${event}: ${where}: ${first?.message ?? 'invalid payload'}` };
}
