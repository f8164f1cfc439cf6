// Every view the node maintains. A view for a new module: write node/indexer/views/<name>.ts
// exporting a `View`, add it here; the index rebuilds itself from the block store on next start
// (the set of views and their versions is part of the index format).
import type { View } from './view.ts';
import { devicesView } from './devices.ts';
import { coverageView } from './coverage.ts';
import { proofsView } from './proofs.ts';
import { earningsView } from './earnings.ts';
import { economicsView } from './economics.ts';
import { checkpointsView } from './checkpoints.ts';

export const VIEWS: readonly View[] = [devicesView, coverageView, proofsView, earningsView, economicsView, checkpointsView];
