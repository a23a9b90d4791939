// What evaluating one check says. A check that cannot be evaluated (its node is gone) fails, saying why.

export interface CheckOutcome {
  ok: boolean;
  /** Why it failed, or what was seen when it passed ("3 different answers: web1, web2, web3"). */
  detail: string;
}

export const pass = (detail = ''): CheckOutcome => ({ ok: true, detail });
export const fail = (detail: string): CheckOutcome => ({ ok: false, detail });

/** For present/absent checks: `found` is what matched (or undefined), `what` names it. */
export function presence(expect: 'present' | 'absent', found: unknown, what: string, seen = ''): CheckOutcome {
  if (expect === 'present') return found ? pass() : fail(`${what} is missing${seen ? `; ${seen}` : ''}`);
  return found ? fail(`${what} is still there`) : pass();
}
