// The depin app in-process on a real LevelDB for the anchor module's tests: blocks that carry the
// previous app hash (as a header does), signed txs from the dev accounts, typed anchor queries,
// and validator keys with chosen powers for the anchor genesis.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { openDepinApp, type DepinKeepers } from '../../modules/depin-app.ts';
import { devGenesis, setGenesisValidators } from '../../node/dev-genesis.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC, type DerivedKey } from '../../node/keys/hd.ts';
import type { App, FinalizeBlockResult } from '../../chain/app.ts';
import type { GenesisDoc } from '../../chain/genesis.ts';
import { signTx } from '../../chain/tx/builder.ts';
import { publicKeyCreate, randomPrivateKey } from '../../chain/crypto/secp256k1.ts';
import { sha256, ripemd160 } from '../../chain/crypto/hash.ts';
import { ethAddress, compareAddresses } from '../../chain/anchor/checkpoint.ts';
import { prefixEnd } from '../../chain/store/kv.ts';
import type { Any } from '../../chain/tx/types.ts';
import { codec } from '../../chain/codec/proto.ts';
import { decodeAccount } from '../../modules/auth/keeper.ts';
import { Q, queryPath, checkpointInfoFromMsg, MsgConfirmCheckpoint, MsgAckCheckpoint, type QueryName, type CheckpointInfo } from '../../modules/anchor/types.ts';
import type { AnchorGenesis } from '../../modules/anchor/module.ts';

const AccountReq = codec<{ address: string }>('cosmos.auth.v1beta1.QueryAccountRequest');
const AccountRes = codec<{ account: Any }>('cosmos.auth.v1beta1.QueryAccountResponse');
const AnyCodec = codec<Any>('google.protobuf.Any');

export const devKeys: DerivedKey[] = Array.from({ length: 10 }, (_, i) => deriveKey(DEV_MNEMONIC, cosmosHdPath(i)));

export interface TestValidator {
  priv: Uint8Array;
  pubkey: Uint8Array;
  address: Uint8Array; // consensus address
  eth: Uint8Array;
  power: bigint;
}

/** Validator keys sorted by Ethereum address (the contract's order, so index = submitter index). */
export function makeValidators(powers: readonly bigint[]): TestValidator[] {
  return powers
    .map((power) => {
      const priv = randomPrivateKey();
      const pubkey = publicKeyCreate(priv);
      return { priv, pubkey, address: ripemd160(sha256(pubkey)), eth: ethAddress(pubkey), power };
    })
    .sort((a, b) => compareAddresses(a.eth, b.eth));
}

export function anchorGenesis(validators: readonly TestValidator[], params: Partial<AnchorGenesis['params']> = {}): GenesisDoc {
  const g = devGenesis();
  setGenesisValidators(g, validators.map((v, i) => ({ pubkey: v.pubkey, power: v.power, operator: devKeys[i]!.address })));
  g.app_state.anchor = {
    params: { checkpoint_interval: '3', eth_chain_id: '31337', contract: '0x5fbdb2315678afecb367f032d93f642f64180aa3', ack_timeout: '4', ...params },
    validators: validators.map((v) => ({ pub_key: Buffer.from(v.pubkey).toString('base64'), power: v.power.toString() })),
  } satisfies AnchorGenesis;
  return g;
}

export class TestChain {
  readonly app: App;
  readonly keepers: DepinKeepers;
  height = 0n;
  lastAppHash: Uint8Array;
  /** The app hash initChain computed from the genesis state. */
  readonly genesisAppHash: Uint8Array;
  time = 1_900_000_000n;
  private readonly closeFn: () => Promise<void>;

  private constructor(app: App, keepers: DepinKeepers, appHash: Uint8Array, close: () => Promise<void>) {
    this.app = app;
    this.keepers = keepers;
    this.lastAppHash = appHash;
    this.genesisAppHash = appHash;
    this.closeFn = close;
  }

  static async open(genesis: GenesisDoc): Promise<TestChain> {
    const dir = mkdtempSync(join(tmpdir(), 'depin-anchor-'));
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const { app, keepers } = await openDepinApp(db.sublevel<Uint8Array, Uint8Array>('state', { keyEncoding: 'view', valueEncoding: 'view' }));
    let appHash: Uint8Array;
    try {
      appHash = app.initChain(genesis).appHash;
    } catch (err) {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const chain = new TestChain(app, keepers, appHash, async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    chain.height = BigInt(genesis.initial_height || '1') - 1n;
    return chain;
  }

  /** Executes and commits the next block; its header carries the previous app hash. */
  async block(txs: Uint8Array[] = []): Promise<FinalizeBlockResult & { height: bigint }> {
    this.height++;
    const res = this.app.finalizeBlock({ height: this.height, time: { seconds: this.time++, nanos: 0 }, txs, lastAppHash: this.lastAppHash });
    const { appHash } = await this.app.commit();
    this.lastAppHash = appHash;
    return { ...res, height: this.height };
  }

  async blocks(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.block();
  }

  /** A tx from dev account `from` (account number = index in the dev genesis). */
  tx(from: number, messages: Any[]): Uint8Array {
    const acc = this.app.query({ path: '/cosmos.auth.v1beta1.Query/Account', data: AccountReq.encode({ address: devKeys[from]!.address }) });
    const seq = acc.code === 0 ? decodeAccount(AnyCodec.encode(AccountRes.decode(acc.value).account)).sequence : 0n;
    return signTx({ messages, fee: [{ denom: 'udpin', amount: '1000' }], gasLimit: 400_000n }, { privateKey: devKeys[from]!.privateKey, chainId: 'depin-local-1', accountNumber: BigInt(from), sequence: seq });
  }

  /** One tx with these messages in its own block; returns that tx's result. */
  async sendAll(from: number, msgs: Any[]) {
    const r = await this.block([this.tx(from, msgs)]);
    return r.txResults[0]!;
  }

  /** One message in its own tx, in its own block; returns that tx's result. */
  async send(from: number, msg: Any) {
    const r = await this.block([this.tx(from, [msg])]);
    return r.txResults[0]!;
  }

  query<N extends QueryName>(name: N, req: object, height?: bigint): { code: number; log: string; value: any } {
    const [reqCodec, resCodec] = Q[name];
    const r = this.app.query({ path: queryPath(name), data: (reqCodec as any).encode(req), height });
    return { code: r.code, log: r.log, value: r.code === 0 ? (resCodec as any).decode(r.value) : undefined };
  }

  checkpoint(n: bigint): CheckpointInfo | undefined {
    const r = this.query('Checkpoint', { number: n.toString() });
    return r.code === 0 ? checkpointInfoFromMsg(r.value.checkpoint) : undefined;
  }

  /** Every committed key under `anchor/`, hex → hex (to assert "nothing changed"). */
  anchorState(): Map<string, string> {
    const prefix = new TextEncoder().encode('anchor/');
    const out = new Map<string, string>();
    for (const [k, v] of this.app.store.iterator(prefix, prefixEnd(prefix))) out.set(Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex'));
    return out;
  }

  close(): Promise<void> {
    return this.closeFn();
  }
}

export const confirmMsg = (sender: string, number: bigint, validator: Uint8Array, signature: Uint8Array): Any => ({
  typeUrl: MsgConfirmCheckpoint.typeUrl,
  value: MsgConfirmCheckpoint.encode({ sender, number: number.toString(), validatorAddress: validator, signature }),
});

export const ackMsg = (sender: string, number: bigint, validator: Uint8Array, eth: { txHash: Uint8Array; blockNumber: bigint; logIndex: bigint }, signature: Uint8Array): Any => ({
  typeUrl: MsgAckCheckpoint.typeUrl,
  value: MsgAckCheckpoint.encode({ sender, number: number.toString(), validatorAddress: validator, ethTxHash: eth.txHash, ethBlockNumber: eth.blockNumber.toString(), logIndex: eth.logIndex.toString(), signature }),
});
