// Bookkeeping of what every actor attempted and what the chain did about it. Outcomes are filled in
// only from chain data: tx results (code, codespace), recorded verdicts (reason codes, status),
// events of end blocks (faults, spot checks, disputes, bans, slashes) and state read at the end.
import type { Attempt, Expectation, FraudKind, SimDevice } from './actors.ts';

export interface Penalty {
  height: bigint;
  actor: string;
  what: string;
}

export class Tracker {
  readonly attempts: Attempt[] = [];
  /** Honest actors punished or refused (must stay empty). */
  readonly penalties: Penalty[] = [];
  /** Invalid verdicts of honest devices by reason (not penalties: e.g. 120 witness not selected). */
  readonly honestInvalid = new Map<number, number>();
  readonly honestValid = new Map<string, number>();
  /** Cases where the chain's outcome differs from what the simulator's model predicted. */
  readonly unexpected: string[] = [];

  attempt(kind: FraudKind, variant: string, height: bigint, actor: string, expect: Expectation, why?: string): Attempt {
    const a: Attempt = { id: this.attempts.length, kind, variant, height, actor, expect, why };
    this.attempts.push(a);
    return a;
  }

  /** Records the chain's outcome of an attempt (first outcome wins unless `override`). */
  resolve(a: Attempt, status: 'caught' | 'escaped' | 'pending', how: string, override = false): void {
    if (a.outcome && !override) return;
    a.outcome = { status, how };
  }

  penalise(height: bigint, actor: string, what: string): void {
    this.penalties.push({ height, actor, what });
  }

  honestVerdict(d: SimDevice, kind: string, valid: boolean, reason: number): void {
    if (valid) this.honestValid.set(kind, (this.honestValid.get(kind) ?? 0) + 1);
    else this.honestInvalid.set(reason, (this.honestInvalid.get(reason) ?? 0) + 1);
    void d;
  }

  /** Compares outcomes with expectations once every attempt is resolved. */
  checkExpectations(): void {
    for (const a of this.attempts) {
      if (!a.outcome) {
        this.unexpected.push(`attempt ${a.id} (${a.kind}/${a.variant} by ${a.actor} at ${a.height}) has no outcome`);
        continue;
      }
      if (a.outcome.status === 'pending') continue;
      if (a.expect === 'caught' && a.outcome.status !== 'caught') this.unexpected.push(`${a.kind}/${a.variant} by ${a.actor} at height ${a.height} escaped (${a.outcome.how}) where the protocol should catch it${a.why ? `: ${a.why}` : ''}`);
      if (a.expect === 'escape' && a.outcome.status !== 'escaped') this.unexpected.push(`${a.kind}/${a.variant} by ${a.actor} at height ${a.height} was caught (${a.outcome.how}) where the model predicted it passes${a.why ? `: ${a.why}` : ''}`);
    }
  }
}
