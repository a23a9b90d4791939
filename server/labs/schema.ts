// The lab file format (labs/<nn-slug>/lab.yaml). Steps are prose + the commands a learner runs.
import { z } from 'zod';
import { TopologySchema } from '../topology/schema.ts';

export const LAB_ID = /^[0-9]{2}-[a-z0-9-]{1,40}$/;
export const PROFILE_NAME = /^[a-z0-9-]{1,40}$/;

export const LabStepSchema = z
  .object({
    title: z.string().min(1).max(200),
    body: z.string().max(10_000).optional(),
    commands: z.string().max(10_000).optional(),
    note: z.string().max(4_000).optional(),
  })
  .passthrough();

export const LabSchema = z
  .object({
    id: z.string().regex(LAB_ID),
    title: z.string().min(1).max(120),
    summary: z.string().max(600),
    /** Sandbox profile: labs/profiles/<name>.yaml, the VM the seed's commands were typed on. */
    sandbox: z.string().regex(PROFILE_NAME),
    /** The drawing a lab session starts with (empty for labs whose commands build everything). */
    start: TopologySchema.optional(),
    steps: z.array(LabStepSchema).max(100).default([]),
  })
  .passthrough();

export type Lab = z.output<typeof LabSchema>;
export type LabStep = z.output<typeof LabStepSchema>;
