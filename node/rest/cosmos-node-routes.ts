// The Cosmos SDK REST paths wallets and explorers use that are answered from the node's block
// store and tx index rather than one ABCI query: cosmos.tx.v1beta1 GetTx / GetTxsEvent and
// cosmos.base.tendermint.v1beta1 blocks, node info and syncing, in grpc-gateway's JSON (bytes
// base64, 64-bit integers as strings, enums by name, Any as {"@type", ...}).
import { type } from '../../chain/codec/proto.ts';
import { messageToJson } from '../../chain/codec/proto-json.ts';
import { i64, u64 } from '../../chain/codec/proto.ts';
import { toBech32, VALCONS_PREFIX } from '../../chain/crypto/address.ts';
import type { TxIndex } from '../indexer/indexer-client.ts';
import type { IndexedTxRecord } from '../indexer/tx-indexer.ts';
import type { BlockStore } from '../store/block-store.ts';
import type { Block, BlockID, Commit, Header } from '../store/block-types.ts';
import { parseQuery } from '../indexer/query.ts';
import * as F from '../rpc/format.ts';
import { APP_VERSION } from '../rpc/methods.ts';
import { RestError, type HandlerRoute, type Schema } from './handler-route.ts';

const TxType = type('cosmos.tx.v1beta1.Tx');
const TxResponseType = type('cosmos.base.abci.v1beta1.TxResponse');

/** What these routes read from the node (DepinNode satisfies it). */
export interface CosmosRestNode {
  chainId: string;
  blocks: BlockStore;
  indexer: TxIndex;
  /** The JSON-RPC `status` result (node_info, sync_info). */
  status(): Promise<any>;
  catchingUp?: boolean;
}

const b64 = F.b64;

/** A tx as cosmos.tx.v1beta1.Tx JSON; undecodable bytes are returned as base64 instead. */
export function txJson(bytes: Uint8Array): unknown {
  try {
    return messageToJson(TxType, TxType.decode(bytes) as never);
  } catch {
    return { '@type': '/cosmos.tx.v1beta1.TxRaw', tx_bytes: b64(bytes), note: 'not decodable with this node\'s registry' };
  }
}

function txResponseJson(r: IndexedTxRecord, timestamp: string): unknown {
  const msg = {
    height: r.height, txhash: r.hash, codespace: r.result.codespace, code: r.result.code,
    data: Buffer.from(r.result.data).toString('hex').toUpperCase(), rawLog: r.result.log, logs: [], info: r.result.info,
    gasWanted: r.result.gasWanted, gasUsed: r.result.gasUsed,
    tx: { typeUrl: '/cosmos.tx.v1beta1.Tx', value: r.tx }, timestamp,
    events: r.result.events.map((e) => ({ type: e.type, attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })) })),
  };
  try {
    return messageToJson(TxResponseType, msg as never);
  } catch {
    return messageToJson(TxResponseType, { ...msg, tx: undefined } as never);
  }
}

function blockIdJson(id: BlockID | null | undefined) {
  return { hash: b64(id?.hash), part_set_header: { total: id?.partSetHeader?.total ?? 0, hash: b64(id?.partSetHeader?.hash) } };
}

function headerJson(h: Header, proposer: string) {
  return {
    version: { block: u64(h.versionBlock).toString(), app: u64(h.versionApp).toString() },
    chain_id: h.chainId, height: i64(h.height).toString(), time: F.time(h.time), last_block_id: blockIdJson(h.lastBlockId),
    last_commit_hash: b64(h.lastCommitHash), data_hash: b64(h.dataHash), validators_hash: b64(h.validatorsHash), next_validators_hash: b64(h.nextValidatorsHash),
    consensus_hash: b64(h.consensusHash), app_hash: b64(h.appHash), last_results_hash: b64(h.lastResultsHash), evidence_hash: b64(h.evidenceHash),
    proposer_address: proposer,
  };
}

const FLAGS = ['BLOCK_ID_FLAG_UNKNOWN', 'BLOCK_ID_FLAG_ABSENT', 'BLOCK_ID_FLAG_COMMIT', 'BLOCK_ID_FLAG_NIL'];

function commitJson(c: Commit) {
  return {
    height: i64(c.height).toString(), round: c.round ?? 0, block_id: blockIdJson(c.blockId),
    signatures: (c.signatures ?? []).map((s) => ({ block_id_flag: FLAGS[s.blockIdFlag] ?? String(s.blockIdFlag), validator_address: b64(s.validatorAddress), timestamp: F.time(s.timestamp), signature: b64(s.signature) })),
  };
}

/** cosmos.base.tendermint.v1beta1.GetBlockByHeightResponse: block (proposer as base64) and
 * sdk_block (proposer as a valcons address), as the SDK returns both. */
export function blockResponseJson(block: Block, blockId: BlockID) {
  const body = (proposer: string) => ({
    header: headerJson(block.header, proposer), data: { txs: block.txs.map(b64) }, evidence: { evidence: [] }, last_commit: commitJson(block.lastCommit),
  });
  const p = block.header.proposerAddress ?? new Uint8Array();
  return { block_id: blockIdJson(blockId), block: body(b64(p)), sdk_block: body(p.length ? toBech32(VALCONS_PREFIX, p) : '') };
}

/** Block times by height, for tx_response.timestamp (a search page hits few blocks, repeatedly). */
class BlockTimes {
  private readonly map = new Map<bigint, string>();
  private readonly blocks: BlockStore;
  constructor(blocks: BlockStore) {
    this.blocks = blocks;
  }
  async get(h: bigint): Promise<string> {
    let t = this.map.get(h);
    if (t === undefined) {
      const b = await this.blocks.loadBlock(h);
      t = b ? F.time(b.block.header.time) : '';
      if (this.map.size > 10_000) this.map.clear();
      if (b) this.map.set(h, t);
    }
    return t;
  }
}

/** `events` (repeatable, "type.key='value'" or type.key=value) or `query` -> one CometBFT query. */
export function eventsQuery(q: URLSearchParams): string {
  const query = q.get('query');
  const events = q.getAll('events').flatMap((e) => e.split('&')).filter(Boolean);
  if (query && events.length) throw new RestError(400, 'use either query or events, not both');
  if (query) return query;
  if (!events.length) throw new RestError(400, 'query (or events) is required, e.g. query=message.sender=\'depin1...\'');
  return events.map((e) => {
    const m = /^([^=<>!\s]+)\s*=\s*(.*)$/.exec(e.trim());
    if (!m) throw new RestError(400, `invalid event ${JSON.stringify(e)}: expected type.key=value`);
    const v = m[2]!.trim();
    return /^'.*'$/.test(v) ? `${m[1]}=${v}` : `${m[1]}='${v.replace(/'/g, '')}'`;
  }).join(' AND ');
}

const TX_PAGE_MAX = 100;

const txSchema: Schema = { type: 'object', additionalProperties: true, description: 'cosmos.tx.v1beta1.Tx (body, auth_info, signatures)' };
const txResponseSchema: Schema = { type: 'object', additionalProperties: true, description: 'cosmos.base.abci.v1beta1.TxResponse' };
const blockSchema: Schema = {
  type: 'object',
  properties: { block_id: { type: 'object' }, block: { type: 'object', description: 'tendermint.types.Block (proposer_address base64)' }, sdk_block: { type: 'object', description: 'the same with proposer_address as a valcons address' } },
};

export function cosmosNodeRoutes(node: CosmosRestNode): HandlerRoute[] {
  const times = new BlockTimes(node.blocks);
  const loadBlock = async (h: bigint) => {
    const b = await node.blocks.loadBlock(h);
    if (!b) throw new RestError(404, `block at height ${h} not found (this node has ${node.blocks.base()}..${node.blocks.height()})`);
    return { body: blockResponseJson(b.block, b.blockId), height: node.blocks.height() };
  };
  return [
    {
      path: '/cosmos/tx/v1beta1/txs/{hash}',
      summary: 'A committed tx by hash (GetTx): the decoded tx and its result',
      tag: 'cosmos.tx.v1beta1',
      response: { type: 'object', properties: { tx: txSchema, tx_response: txResponseSchema } },
      async handle({ params }) {
        const hash = params.hash!.replace(/^0x/i, '');
        if (!/^[0-9a-fA-F]{64}$/.test(hash)) throw new RestError(400, `invalid tx hash ${JSON.stringify(params.hash)}: 32 bytes in hex`);
        const rec = await node.indexer.getByHash(hash.toUpperCase());
        if (!rec) throw new RestError(404, `tx not found: ${hash.toUpperCase()}`);
        return { body: { tx: txJson(rec.tx), tx_response: txResponseJson(rec, await times.get(rec.height)) }, height: node.blocks.height() };
      },
    },
    {
      path: '/cosmos/tx/v1beta1/txs',
      summary: 'Txs matching events (GetTxsEvent): query=CometBFT query or events=type.key=value (repeatable, ANDed)',
      tag: 'cosmos.tx.v1beta1',
      query: [
        { name: 'query', description: "CometBFT query, e.g. message.sender='depin1...' AND tx.height>5" },
        { name: 'events', description: "type.key='value' conditions (legacy), ANDed", array: true },
        { name: 'page', description: '1-based page (with limit)', type: 'integer' },
        { name: 'limit', description: `page size, max ${TX_PAGE_MAX}`, type: 'integer' },
        { name: 'order_by', description: 'ORDER_BY_ASC (default) or ORDER_BY_DESC' },
      ],
      paginated: true,
      response: { type: 'object', properties: { txs: { type: 'array', items: txSchema }, tx_responses: { type: 'array', items: txResponseSchema }, pagination: { $ref: '#/components/schemas/PageResponse' }, total: { type: 'string' } } },
      async handle({ query, page }) {
        const q = eventsQuery(query);
        const num = (name: string) => {
          const v = query.get(name);
          if (v === null || v === '') return undefined;
          if (!/^[0-9]{1,9}$/.test(v)) throw new RestError(400, `${name} must be a non-negative integer`);
          return Number(v);
        };
        const limit = Math.min(num('limit') ?? page.limit ?? TX_PAGE_MAX, TX_PAGE_MAX) || TX_PAGE_MAX;
        const ob = query.get('order_by') ?? '';
        const desc = ob === 'ORDER_BY_DESC' || ob === '2' || page.reverse === true;
        if (ob && !['ORDER_BY_ASC', 'ORDER_BY_DESC', 'ORDER_BY_UNSPECIFIED', '0', '1', '2'].includes(ob)) throw new RestError(400, `invalid order_by ${ob}`);
        if (page.key) throw new RestError(400, 'txs are paged by page/limit or pagination.offset, not pagination.key');
        const pageNum = num('page');
        const offset = pageNum !== undefined ? Math.max(0, pageNum - 1) * limit : page.offset ?? 0;
        // tx_search pages are aligned to perPage: read the one or two pages that cover the offset.
        const first = Math.floor(offset / limit) + 1;
        // The query is parsed here first so a malformed one is a 400, not a worker error.
        try {
          parseQuery(q);
        } catch (err) {
          throw new RestError(400, `invalid query: ${(err as Error).message}`);
        }
        const order = desc ? 'desc' : 'asc';
        const search = async (p: number): Promise<{ txs: IndexedTxRecord[]; totalCount: number } | undefined> => {
          try {
            return await node.indexer.search(q, p, limit, order);
          } catch (err) {
            if (/page should be within/.test((err as Error).message)) return undefined; // past the last page
            throw err;
          }
        };
        // tx_search pages are aligned to the page size: read the one or two pages covering offset.
        const found = await search(first);
        let txs = found ? found.txs.slice(offset % limit) : [];
        if (found && offset % limit && first * limit < found.totalCount) txs = txs.concat((await search(first + 1))?.txs ?? []).slice(0, limit);
        const total = found ? found.totalCount : (await node.indexer.search(q, 1, 1, order)).totalCount;
        const responses = [];
        for (const r of txs) responses.push(txResponseJson(r, await times.get(r.height)));
        return {
          body: { txs: txs.map((r) => txJson(r.tx)), tx_responses: responses, pagination: { next_key: null, total: String(total) }, total: String(total) },
          height: node.blocks.height(),
        };
      },
    },
    {
      path: '/cosmos/base/tendermint/v1beta1/blocks/latest',
      summary: 'The latest committed block (GetLatestBlock)',
      tag: 'cosmos.base.tendermint.v1beta1',
      response: blockSchema,
      async handle() {
        const h = node.blocks.height();
        if (h === 0n) throw new RestError(404, 'no blocks yet');
        return loadBlock(h);
      },
    },
    {
      path: '/cosmos/base/tendermint/v1beta1/blocks/{height}',
      summary: 'A committed block by height (GetBlockByHeight)',
      tag: 'cosmos.base.tendermint.v1beta1',
      response: blockSchema,
      async handle({ params }) {
        if (!/^[0-9]{1,19}$/.test(params.height!)) throw new RestError(400, `invalid height ${JSON.stringify(params.height)}`);
        const h = BigInt(params.height!);
        if (h === 0n) throw new RestError(400, 'height must be greater than 0');
        return loadBlock(h);
      },
    },
    {
      path: '/cosmos/base/tendermint/v1beta1/node_info',
      summary: 'This node: CometBFT node info and application version (GetNodeInfo)',
      tag: 'cosmos.base.tendermint.v1beta1',
      response: { type: 'object', properties: { default_node_info: { type: 'object' }, application_version: { type: 'object' } } },
      async handle() {
        const st = await node.status();
        const ni = st.node_info;
        return {
          body: {
            default_node_info: {
              protocol_version: ni.protocol_version, default_node_id: ni.id, listen_addr: ni.listen_addr, network: ni.network, version: ni.version,
              channels: Buffer.from(ni.channels ?? '', 'hex').toString('base64'), moniker: ni.moniker, other: ni.other,
            },
            application_version: { name: 'depin', app_name: 'depind', version: APP_VERSION, git_commit: '', build_tags: '', go_version: `node ${process.version}`, build_deps: [], cosmos_sdk_version: 'depin-chain (Cosmos SDK-compatible)' },
          },
          height: node.blocks.height(),
        };
      },
    },
    {
      path: '/cosmos/base/tendermint/v1beta1/syncing',
      summary: 'Whether the node is catching up (GetSyncing)',
      tag: 'cosmos.base.tendermint.v1beta1',
      response: { type: 'object', properties: { syncing: { type: 'boolean' } } },
      async handle() {
        return { body: { syncing: !!node.catchingUp }, height: node.blocks.height() };
      },
    },
  ];
}
