// The CometBFT-style genesis document (genesis.json) the node and the app agree on.

export interface GenesisValidator {
  address: string; // hex
  pub_key: { type: string; value: string }; // tendermint/PubKeySecp256k1, base64
  power: string;
  name?: string;
}

export interface GenesisDoc {
  genesis_time: string; // RFC3339
  chain_id: string;
  initial_height: string;
  consensus_params?: unknown;
  validators: GenesisValidator[];
  app_hash: string;
  app_state: Record<string, unknown>;
}

export function parseRfc3339(time: string): { seconds: bigint; nanos: number } {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!m) throw new Error(`invalid RFC3339 UTC time ${JSON.stringify(time)} (expected e.g. 2026-01-01T00:00:00Z)`);
  const ms = Date.parse(m[1]! + 'Z');
  if (Number.isNaN(ms)) throw new Error(`invalid time ${time}`);
  return { seconds: BigInt(ms / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

export function formatRfc3339(t: { seconds: bigint; nanos: number }): string {
  const base = new Date(Number(t.seconds) * 1000).toISOString().slice(0, 19);
  return `${base}.${String(t.nanos).padStart(9, '0')}Z`;
}
