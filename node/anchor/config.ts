// The anchor service's node-local settings: the `anchor` section of <home>/config/node.json, with
// `depind start` flags on top. Nothing here is consensus: the contract address and Ethereum chain
// id the validators sign for are chain params (anchor module); these only say how this node talks
// to Ethereum and which keys pay for its messages.

export interface AnchorConfig {
  /** Run the anchor service (also turned on by --eth-rpc or --anvil). */
  enabled: boolean;
  /** Ethereum JSON-RPC endpoint. */
  ethRpc: string;
  /** Optional: if set, must equal the chain's anchor contract param (guards against a wrong network). */
  contract: string;
  /** The Ethereum key that pays for submissions: a 0x private key, or a mnemonic + account index.
   * DEPIND_ETH_PRIVATE_KEY in the environment overrides both. Without one the node still confirms
   * and acknowledges checkpoints but never submits (its turns time out and rotate). */
  ethPrivateKey: string;
  ethMnemonic: string;
  ethAccountIndex: number;
  /** Keyring-test key (<home>/keyring-test) whose account pays the chain fees of confirmations and acks. */
  feeKey: string;
  /** Gas price for those txs (default: the node's minimum gas price). */
  gasPrice: string;
  /** Ethereum blocks a CheckpointSubmitted event must have (1 = mined) before this node acknowledges it. */
  ethConfirmations: number;
  /** How often the Ethereum side is polled (ms), and the cap of its error backoff. */
  pollMs: number;
  maxBackoffMs: number;
  /** Re-sign a pending submission with higher fees after this long (ms). */
  replaceAfterMs: number;
  /** First Ethereum block searched for CheckpointSubmitted events (the contract's deployment block). */
  logsFromBlock: number;
  /** `npm start` / --anvil: run a local anvil on this port, its chain kept in <home>/data/anvil-state.json. */
  anvilPort: number;
}

export const DEFAULT_ANCHOR_CONFIG: AnchorConfig = {
  enabled: false,
  ethRpc: 'http://127.0.0.1:8545',
  contract: '',
  ethPrivateKey: '',
  ethMnemonic: '',
  ethAccountIndex: 0,
  feeKey: 'anchor',
  gasPrice: '',
  ethConfirmations: 1,
  pollMs: 1000,
  maxBackoffMs: 10_000,
  replaceAfterMs: 60_000,
  logsFromBlock: 0,
  anvilPort: 8545,
};

/** What `depind init --dev` writes: anvil's dev mnemonic, account 1 submits (account 0 deploys the
 * contract with its first transaction, which fixes the dev contract address). */
export const DEV_ANCHOR_CONFIG: Partial<AnchorConfig> = {
  ethMnemonic: 'test test test test test test test test test test test junk',
  ethAccountIndex: 1,
  feeKey: 'anchor',
};

export function anchorConfig(section: Partial<AnchorConfig> | undefined, overrides: Partial<AnchorConfig> = {}): AnchorConfig {
  return { ...DEFAULT_ANCHOR_CONFIG, ...section, ...overrides };
}
