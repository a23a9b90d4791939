// The lab file format (labs/<nn-slug>/lab.yaml): a sandbox, a starting drawing, and steps — prose, the
// commands a learner runs in the host shell, and the checks that decide when the step is done.
import { z } from 'zod';
import { TopologySchema } from '../topology/schema.ts';
import { CheckSchema } from './checks/schema.ts';

export const LAB_ID = /^[0-9]{2}-[a-z0-9-]{1,40}$/;
export const PROFILE_NAME = /^[a-z0-9-]{1,40}$/;

export const LabNoteSchema = z.object({
  title: z.string().min(1).max(200),
  text: z.string().min(1).max(4_000),
  /** The note answers a question of the seed's FAQ. */
  faq: z.boolean().default(false),
}).strict();

export const LabStepSchema = z
  .object({
    title: z.string().min(1).max(200),
    /** Markdown: what happens and why. */
    body: z.string().max(10_000).optional(),
    /** Run in the session's host shell, in its work directory, one line at a time as if typed. */
    commands: z.string().max(10_000).optional(),
    /** Where the commands differ from the seed's, and why (one line each). */
    adapted: z.array(z.string().min(1).max(400)).max(20).default([]),
    hints: z.array(z.string().min(1).max(1_000)).max(20).default([]),
    notes: z.array(LabNoteSchema).max(20).default([]),
    /** Every check must pass for the step to be done; each fails before the step is done. */
    checks: z.array(CheckSchema).max(50).default([]),
    /** Longest the commands may run (background processes they start live on). */
    timeoutSec: z.number().int().min(1).max(600).default(90),
  })
  .strict();

export const LabSchema = z
  .object({
    id: z.string().regex(LAB_ID),
    title: z.string().min(1).max(120),
    summary: z.string().max(600),
    /** The seed's section this lab follows (1–8); absent for labs of our own. */
    seedSection: z.number().int().min(1).max(99).optional(),
    /** Sandbox profile: labs/profiles/<name>.yaml, the VM the seed's commands were typed on. */
    sandbox: z.string().regex(PROFILE_NAME),
    /** The drawing a lab session starts with (empty for labs whose commands build everything). */
    start: TopologySchema.optional(),
    steps: z.array(LabStepSchema).max(100).default([]),
  })
  .strict();

export type Lab = z.output<typeof LabSchema>;
export type LabInput = z.input<typeof LabSchema>;
export type LabStep = z.output<typeof LabStepSchema>;
export type LabNote = z.output<typeof LabNoteSchema>;
