// The contract between the session engine and its front ends (CLI, socket.io server, tests).
import type { Fact } from '../plan/fact.ts';
import type { Step, StepResult } from '../plan/step.ts';
import type { ObservedState } from '../observe/types.ts';
import type { Topology } from '../topology/schema.ts';

export type SessionPhase = 'creating' | 'ready' | 'applying' | 'destroying';

export interface SessionInfo {
  id: string;
  /** Lab id the sandbox was made for, e.g. "03-bridge"; absent for a blank canvas. */
  lab?: string;
  /** Who made it: "cli", "server:<pid>", or an attendee label. */
  owner: string;
  createdAt: number;
  phase: SessionPhase;
  /** Infrastructure nodes the sandbox provides: host, internet, external, … */
  nodes: string[];
}

export interface StepEvent {
  index: number;
  total: number;
  step: Step;
  status: 'running' | 'ok' | 'failed' | 'undone';
  stderr?: string;
  ms?: number;
}

export interface ApplyResult {
  ok: boolean;
  /** Steps that ran, in order, with their results. */
  results: StepResult[];
  /** Steps the diff found already true in the kernel. */
  skipped: number;
  /** When a step failed: what it was and what was undone to return to the state before the apply. */
  error?: { step: Step; stderr: string; rolledBack: Step[] };
}

export interface Drift {
  /** missing: desired but not in the kernel; extra: in the kernel, not in the drawing. */
  kind: 'missing' | 'extra';
  node: string;
  fact: Fact;
  message: string;
}

export interface SessionStatus {
  info: SessionInfo;
  /** Sandbox + last applied drawing, merged. */
  desired: Topology;
  observed: ObservedState;
  drift: Drift[];
}

export interface LabSummary { id: string; title: string; summary: string; steps: number }

/** The session engine: one per process, shared by the CLI, the socket.io server and tests. */
export interface Engine {
  create(opts: { lab?: string; owner: string }): Promise<SessionInfo>;
  list(): Promise<SessionInfo[]>;
  /** Throws SessionNotFound for an unknown id. */
  info(id: string): Promise<SessionInfo>;
  /** Ends every process in the session, removes containers and namespaces. Idempotent. */
  destroy(id: string): Promise<void>;
  /** Validates, diffs against the kernel, runs only what is missing (and removes what the drawing dropped). */
  apply(id: string, topology: Topology, onStep?: (e: StepEvent) => void): Promise<ApplyResult>;
  /** What apply would run now, without running it; plus the full setup/cleanup script of the drawing. */
  preview(id: string, topology: Topology): Promise<{ steps: Step[]; script: string }>;
  status(id: string): Promise<SessionStatus>;
  /** argv that starts `argv` (default: an interactive login bash) inside a node; for node-pty and execa. */
  enterArgv(id: string, node: string, argv?: string[]): Promise<string[]>;
  labs(): Promise<LabSummary[]>;
  /** Removes what crashed runs left behind (only nsplay's own). Returns what it removed. */
  reclaim(opts?: { includeCli?: boolean }): Promise<string[]>;
}

export class SessionNotFound extends Error {
  constructor(id: string) { super(`no session '${id}'`); this.name = 'SessionNotFound'; }
}
