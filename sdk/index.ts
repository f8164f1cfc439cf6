// The depin device SDK: device keys, manufacturer attestations, registration and proof envelopes,
// CosmJS messages and registry, queries, fee-granted device transactions, H3 locations, rewards.
export * from './device-key.ts';
export * from './envelope.ts';
export * from './messages.ts';
export * from './registry.ts';
export * from './client.ts';
export * from './rewards.ts';
export * from './fees.ts';
export * from './location.ts';
export * from './dev.ts';
export * from './proofs.ts';
