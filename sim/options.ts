// The simulate command's options, without importing the simulator (depind's command table loads
// this eagerly; the simulator itself is imported only when the command runs).
export const SIMULATE_USAGE = 'depind simulate [--seed N] [--devices N] [--blocks N] [--epoch-blocks N] [--window-blocks N] [--cheaters-ppm N] [--sectors coverage,storage,compute,sensor] ' +
  '[--validators N] [--equivocators N] [--buyers N] [--oracles N] [--verifiers N] [--batch-size N] [--invariants-every N] [--out report.json | --home DIR] [--chart chart.svg] [--quiet]\n' +
  '  --home DIR: write the report to DIR/simulations/ (a node started on DIR shows it on its dashboard\'s Simulation page)';

/** parseArgs option table for the simulate command. */
export const SIMULATE_OPTIONS = {
  seed: { type: 'string' }, devices: { type: 'string' }, blocks: { type: 'string' }, 'epoch-blocks': { type: 'string' }, 'window-blocks': { type: 'string' },
  'cheaters-ppm': { type: 'string' }, sectors: { type: 'string' }, validators: { type: 'string' }, equivocators: { type: 'string' }, buyers: { type: 'string' },
  oracles: { type: 'string' }, verifiers: { type: 'string' }, 'batch-size': { type: 'string' }, 'invariants-every': { type: 'string' },
  out: { type: 'string' }, home: { type: 'string' }, chart: { type: 'string' }, quiet: { type: 'boolean' },
} as const;
