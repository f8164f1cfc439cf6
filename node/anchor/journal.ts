// The relayer's durable memory of what it sent to Ethereum: per checkpoint number, the nonce and
// every signed raw transaction (the original and its fee bumps, all with that one nonce). It is
// written (fsync'd, then renamed into place) BEFORE a transaction is broadcast, so a relayer that
// crashes or restarts finds its pending transaction again and keeps using that nonce, instead of
// signing a second submission that could also land (and revert as CheckpointOutOfOrder).
import { openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Hex } from 'viem';

export interface SentTx {
  hash: Hex;
  raw: Hex;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  /** Local wall-clock ms when first broadcast (only for deciding when to bump fees). */
  sentAtMs: number;
}

export interface Submission {
  number: string;
  nonce: string;
  gas: string;
  txs: SentTx[];
  /** Set when the account's nonce moved past ours with none of our hashes mined (checked twice). */
  nonceTakenSeen?: boolean;
}

interface JournalFile {
  /** Which contract and account the entries belong to: another pair starts an empty journal. */
  scope: string;
  submissions: Record<string, Submission>;
}

export class Journal {
  readonly path: string;
  private data: JournalFile;

  constructor(path: string, scope: string) {
    this.path = path;
    this.data = { scope, submissions: {} };
    if (existsSync(path)) {
      const file = JSON.parse(readFileSync(path, 'utf8')) as JournalFile;
      if (file.scope === scope) this.data = file;
    }
  }

  get(number: bigint): Submission | undefined {
    return this.data.submissions[number.toString()];
  }

  numbers(): bigint[] {
    return Object.keys(this.data.submissions).map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  put(s: Submission): void {
    this.data.submissions[s.number] = s;
    this.flush();
  }

  delete(number: bigint): void {
    if (!(number.toString() in this.data.submissions)) return;
    delete this.data.submissions[number.toString()];
    this.flush();
  }

  private flush(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(this.data, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}
