// TEST ONLY: stands in for the proofs module so rewards tests choose verdicts exactly. It calls
// the rewards ProofHooks where proofs does: inside the end block of a real App (queued
// verdicts), or inside a real signed transaction (MsgTestVerdicts, a test-only protobuf type
// registered here at runtime), so a failing tx must leave no verdict behind. Nothing here is
// wired into the node.
import protobuf from 'protobufjs';
import { root, codec } from '../../chain/codec/proto.ts';
import type { AppModule, MsgDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { ErrInvalidRequest } from '../../chain/errors.ts';
import type { ProofCredit, ProofHooks, ProofOutcome } from '../../modules/proofs/hooks.ts';
import type { DepinKeepers } from '../../modules/depin-app.ts';
import type { Any } from '../../chain/tx/types.ts';

const NS = 'depin.testproofs.v1';
if (!root.lookup(NS, [protobuf.Type, protobuf.Namespace]) ) {
  (root.lookup('depin') as protobuf.Namespace).addJSON({
    testproofs: {
      nested: {
        v1: {
          nested: {
            TestVerdict: {
              fields: {
                proofId: { type: 'uint64', id: 1 }, deviceId: { type: 'uint64', id: 2 }, sector: { type: 'uint32', id: 3 }, valid: { type: 'bool', id: 4 },
                reason: { type: 'uint32', id: 5 }, units: { type: 'uint64', id: 6 }, reverse: { type: 'bool', id: 7 }, verdictHeight: { type: 'uint64', id: 8 },
                penaltyUnits: { type: 'uint64', id: 9 }, challenger: { type: 'string', id: 10 }, kind: { type: 'string', id: 11 },
              },
            },
            MsgTestVerdicts: { fields: { sender: { type: 'string', id: 1 }, verdicts: { rule: 'repeated', type: 'TestVerdict', id: 2 }, failAfter: { type: 'bool', id: 3 } } },
            MsgTestVerdictsResponse: { fields: {} },
          },
        },
      },
    },
  });
  root.resolveAll();
}

export interface Verdict {
  proofId: bigint;
  deviceId: bigint;
  sector: number;
  valid: boolean;
  reason?: number;
  units: bigint;
  kind?: string;
}

export interface Reversal {
  proof: ProofOutcome;
  challenger: string;
  penaltyUnits: bigint;
}

const MsgTestVerdicts = codec<any>(`${NS}.MsgTestVerdicts`);
const MsgTestVerdictsResponse = codec<object>(`${NS}.MsgTestVerdictsResponse`);
const u = (v: any): bigint => (v === undefined || v === null ? 0n : BigInt(v.toString()));

export class ProofDriver {
  private hooks: ProofHooks | undefined;
  private pending: ({ kind: 'verdict'; v: Verdict } | { kind: 'reversal'; r: Reversal })[] = [];
  /** Every outcome handed to afterProofVerdict, with the height it was recorded at. */
  readonly recorded: ProofOutcome[] = [];
  /** What afterProofVerdict returned, by proof id (the proofs module keeps it in the proof's
   * record); reversals hand it back. A tx that failed after its verdicts may leave an entry that
   * the next verdict of the same id replaces. */
  private readonly credits = new Map<bigint, ProofCredit>();
  private credit(id: bigint, c: ProofCredit | undefined): void {
    if (c) this.credits.set(id, c);
    else this.credits.delete(id);
  }
  private nextId = 1n;

  /** The module to pass as DepinAppExtras.beforeRewards. */
  module = (keepers: DepinKeepers): AppModule[] => {
    this.hooks = keepers.rewards;
    const msg: MsgDef<any> = {
      typeUrl: MsgTestVerdicts.typeUrl,
      codec: MsgTestVerdicts,
      responseTypeUrl: MsgTestVerdictsResponse.typeUrl,
      signers: (m) => [m.sender],
      handle: (ctx, m) => {
        for (const v of m.verdicts ?? []) {
          const o = outcome(ctx, { proofId: u(v.proofId), deviceId: u(v.deviceId), sector: v.sector ?? 0, valid: !!v.valid, reason: v.reason ?? 0, units: u(v.units), kind: v.kind });
          if (v.reverse) this.hooks!.afterProofReversed(ctx, { ...o, height: u(v.verdictHeight), credit: this.credits.get(o.proofId) }, v.challenger ?? '', u(v.penaltyUnits));
          else this.credit(o.proofId, this.hooks!.afterProofVerdict(ctx, o));
        }
        if (m.failAfter) throw ErrInvalidRequest.wrap('test: failing after the hooks ran');
        return MsgTestVerdictsResponse.encode({});
      },
    };
    return [{
      name: 'testproofs',
      msgs: [msg],
      endBlock: (ctx) => {
        const todo = this.pending;
        this.pending = [];
        for (const a of todo) {
          if (a.kind === 'verdict') {
            const o = outcome(ctx, a.v);
            this.credit(o.proofId, this.hooks!.afterProofVerdict(ctx, o));
            this.recorded.push(o);
          } else this.hooks!.afterProofReversed(ctx, { ...a.r.proof, credit: this.credits.get(a.r.proof.proofId) }, a.r.challenger, a.r.penaltyUnits);
        }
      },
    }];
  };

  newProofId(): bigint {
    return this.nextId++;
  }

  /** Recorded in the next block's end block. */
  verdict(v: Omit<Verdict, 'proofId'> & { proofId?: bigint }): bigint {
    const proofId = v.proofId ?? this.newProofId();
    this.pending.push({ kind: 'verdict', v: { ...v, proofId } });
    return proofId;
  }

  /** Reversed in the next block's end block. */
  reverse(proofId: bigint, challenger: string, penaltyUnits = 0n): void {
    const proof = this.recorded.find((o) => o.proofId === proofId);
    if (!proof) throw new Error(`test driver: proof ${proofId} was never recorded`);
    this.pending.push({ kind: 'reversal', r: { proof, challenger, penaltyUnits } });
  }

  /** The Any of a MsgTestVerdicts (for a real signed tx). */
  static msg(sender: string, verdicts: (Verdict & { reverse?: boolean; verdictHeight?: bigint; penaltyUnits?: bigint; challenger?: string })[], failAfter = false): Any {
    const value = MsgTestVerdicts.encode({
      sender, failAfter,
      verdicts: verdicts.map((v) => ({ ...v, proofId: v.proofId.toString(), deviceId: v.deviceId.toString(), units: v.units.toString(), verdictHeight: (v.verdictHeight ?? 0n).toString(), penaltyUnits: (v.penaltyUnits ?? 0n).toString() })),
    });
    return { typeUrl: MsgTestVerdicts.typeUrl, value };
  }
}

function outcome(ctx: Context, v: Verdict): ProofOutcome {
  return {
    proofId: v.proofId, deviceId: v.deviceId, sector: v.sector, kind: v.kind ?? 'test/verdict', window: 0n,
    height: ctx.block.height, valid: v.valid, reason: v.valid ? 0 : (v.reason ?? 1), units: v.valid ? v.units : 0n,
  };
}
