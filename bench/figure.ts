// One row of the bench table: a figure, its baseline measured in the same run, and its goal.
import type { Summary } from './stats.ts';

export interface Figure {
  name: string;
  unit: string;
  /** null when every nsplay run of the figure failed (see failures). */
  value: Summary | null;
  /** Runs that did not do what the figure measures, e.g. a second apply that was not a no-op. */
  failed?: string;
  baseline: Summary | null;
  baselineWhat: string;
  goal: string;
  note?: string;
}
