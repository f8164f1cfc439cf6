// What a module plugs into the app: message handlers, gRPC-style queries, genesis and block
// hooks. Modules never import each other's internals; they receive narrow keeper interfaces at
// wiring time (see chain/app-builder wiring in node or tests).
import type { Codec } from './codec/proto.ts';
import type { Context } from './context.ts';
import type { SignatureTriple } from './crypto/sig-cache.ts';

export interface MsgDef<T = any> {
  /** Type URL, "/" + full protobuf name, e.g. /cosmos.bank.v1beta1.MsgSend. */
  typeUrl: string;
  codec: Codec<T>;
  /** Type URL of the response returned in TxMsgData.msg_responses. */
  responseTypeUrl: string;
  /** Bech32 addresses that must sign a tx carrying this message, in order. */
  signers(msg: T): string[];
  /** Stateless checks (SDK ValidateBasic): run in CheckTx before any state is read. */
  validateBasic?(msg: T): void;
  /** Signatures the message carries besides the tx's own (e.g. device-signed proofs), computed
   * against check state, so the node verifies them ahead of CheckTx on its signature workers; on
   * success they enter the verified-signature cache (chain/crypto/sig-cache.ts) that the module's
   * own verification consults. Optional, advisory: results and gas do not depend on it. */
  signatureJobs?(ctx: Context, msg: T): SignatureTriple[];
  /** Executes the message; returns the encoded response. Throws SdkError on failure. */
  handle(ctx: Context, msg: T): Uint8Array;
}

export interface QueryDef<Req = any> {
  /** ABCI query path, "/<proto service>/<method>", e.g. /cosmos.bank.v1beta1.Query/Balance. */
  path: string;
  request: Codec<Req>;
  handle(ctx: Context, req: Req): Uint8Array;
}

/** A change of a validator's consensus power (power 0 removes it), as ABCI ValidatorUpdate. */
export interface ValidatorUpdate {
  pubKey: Uint8Array; // 33-byte compressed secp256k1 consensus key
  power: bigint;
}

/** What a module may hand back to consensus from genesis or end block (the staking module). */
export interface ConsensusUpdates {
  validatorUpdates?: ValidatorUpdate[];
}

export interface AppModule {
  readonly name: string;
  readonly msgs?: readonly MsgDef[];
  readonly queries?: readonly QueryDef[];
  /** Genesis in its JSON form (the module's section of app_state). */
  defaultGenesis?(): unknown;
  initGenesis?(ctx: Context, state: unknown): void | ConsensusUpdates;
  exportGenesis?(ctx: Context): unknown;
  beginBlock?(ctx: Context): void;
  endBlock?(ctx: Context): void | ConsensusUpdates;
}
