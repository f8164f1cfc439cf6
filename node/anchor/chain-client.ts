// The anchor service's view of its own chain: anchor queries through the app's query interface
// (committed state, as any client sees it) and its messages sent through the node's mempool,
// signed with a keyring key that pays their fees. One tx in flight at a time: the next one is
// built from committed state once the previous left the mempool, so sequences never collide.
import type { App } from '../../chain/app.ts';
import type { Mempool } from '../mempool/mempool.ts';
import { codec } from '../../chain/codec/proto.ts';
import { signTx } from '../../chain/tx/builder.ts';
import { requiredFee, type GasPrice } from '../../chain/coins.ts';
import { publicKeyCreate } from '../../chain/crypto/secp256k1.ts';
import { accountAddress } from '../../chain/crypto/address.ts';
import type { Any } from '../../chain/tx/types.ts';
import { decodeAccount } from '../../modules/auth/keeper.ts';
import { Q, queryPath, checkpointInfoFromMsg, paramsFromMsg, type AnchorParams, type CheckpointInfo } from '../../modules/anchor/types.ts';

const AccountReq = codec<{ address: string }>('cosmos.auth.v1beta1.QueryAccountRequest');
const AccountRes = codec<{ account: Any }>('cosmos.auth.v1beta1.QueryAccountResponse');
const AnyCodec = codec<Any>('google.protobuf.Any');

/** Gas limit of an anchor message for a signing set of n validators. Measured (in-process, this
 * repo): a confirmation 45-56k and an ack 41-85k gas up to 21 validators; an ack's tally reads
 * every vote of the round, so its cost grows with n. */
export const gasPerMsg = (validators: number): bigint => 100_000n + 3_000n * BigInt(validators);

export class AnchorChainView {
  readonly app: App;

  constructor(app: App) {
    this.app = app;
  }

  private query<N extends keyof typeof Q>(name: N, req: object): any | undefined {
    const [reqCodec, resCodec] = Q[name];
    const r = this.app.query({ path: queryPath(name), data: (reqCodec as { encode(v: object): Uint8Array }).encode(req) });
    if (r.code === 38) return undefined; // not found
    if (r.code !== 0) throw new Error(`anchor query ${name}: ${r.log}`);
    return (resCodec as { decode(b: Uint8Array): unknown }).decode(r.value);
  }

  params(): AnchorParams {
    return paramsFromMsg(this.query('Params', {})?.params);
  }

  latest(acknowledged = false): CheckpointInfo | undefined {
    const r = this.query('LatestCheckpoint', { acknowledged });
    return r?.checkpoint ? checkpointInfoFromMsg(r.checkpoint) : undefined;
  }

  checkpoint(n: bigint): CheckpointInfo | undefined {
    const r = this.query('Checkpoint', { number: n.toString() });
    return r?.checkpoint ? checkpointInfoFromMsg(r.checkpoint) : undefined;
  }

  account(address: string): { accountNumber: bigint; sequence: bigint } | undefined {
    const r = this.app.query({ path: '/cosmos.auth.v1beta1.Query/Account', data: AccountReq.encode({ address }) });
    if (r.code !== 0) return undefined;
    return decodeAccount(AnyCodec.encode(AccountRes.decode(r.value).account));
  }
}

export class AnchorTxSender {
  readonly address: string;
  private readonly privateKey: Uint8Array;
  private readonly view: AnchorChainView;
  private readonly mempool: Mempool;
  private readonly submit: (tx: Uint8Array) => Promise<{ hash: string; result: { code: number; log: string } }>;
  private readonly chainId: string;
  private readonly gasPrice: GasPrice;
  private inflight: string | undefined;

  constructor(opts: { view: AnchorChainView; mempool: Mempool; submit: AnchorTxSender['submit']; chainId: string; privateKey: Uint8Array; gasPrice: GasPrice }) {
    this.view = opts.view;
    this.mempool = opts.mempool;
    this.submit = opts.submit;
    this.chainId = opts.chainId;
    this.privateKey = opts.privateKey;
    this.address = accountAddress(publicKeyCreate(opts.privateKey));
    this.gasPrice = opts.gasPrice;
  }

  /** Our previous tx is still waiting in the mempool. */
  busy(): boolean {
    if (this.inflight && this.mempool.get(this.inflight)) return true;
    this.inflight = undefined;
    return false;
  }

  /** Signs `msgs` in one tx with the account's committed sequence, admits it to the mempool and
   * gossips it. */
  async send(msgs: Any[], validators: number): Promise<{ hash: string; code: number; log: string }> {
    const acc = this.view.account(this.address);
    if (!acc) throw new Error(`fee account ${this.address} does not exist on chain (fund it first)`);
    const gas = gasPerMsg(validators) * BigInt(msgs.length);
    const tx = signTx(
      { messages: msgs, fee: [{ denom: this.gasPrice.denom, amount: requiredFee(this.gasPrice, gas).toString() }], gasLimit: gas, memo: 'depind anchor service' },
      { privateKey: this.privateKey, chainId: this.chainId, accountNumber: acc.accountNumber, sequence: acc.sequence },
    );
    const { hash, result } = await this.submit(tx);
    if (result.code === 0) this.inflight = hash;
    return { hash, code: result.code, log: result.log };
  }
}
