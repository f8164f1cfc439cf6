import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signTx } from './builder.ts';
import { MsgSend } from '../../modules/bank/types.ts';
import { sha256 } from '../crypto/hash.ts';

// shared/spec/cosmjs-compat.md §7.5: CosmJS's bytes for this exact tx.
test('signTx reproduces the CosmJS test vector byte for byte', () => {
  const raw = signTx(
    {
      messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: 'depin10xcqpzrky6eff2g52qdye53xkk9jxkvr00zm2c', toAddress: 'depin1pyysjzgfpyysjzgfpyysjzgfpyysjzgfn5vgyz', amount: [{ denom: 'udpn', amount: '1000' }] }) }],
      fee: [{ denom: 'udpn', amount: '5000' }],
      gasLimit: 200000n,
    },
    { privateKey: Buffer.from('01'.repeat(32), 'hex'), chainId: 'depin-devnet-1', accountNumber: 0n, sequence: 0n },
  );
  const hash = Buffer.from(sha256(raw)).toString('hex').toUpperCase();
  assert.equal(hash, '7119C10EB6B62934A08B20917E42F790E2CD27387FC1015B4B06A3E84B69BE54');
});

