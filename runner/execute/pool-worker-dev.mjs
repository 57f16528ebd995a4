// Worker entry used only when softlab runs from its TypeScript sources (tests,
// `node --import tsx`): Node 20 does not pass tsx's loader hooks on to worker
// threads, so the worker registers tsx itself before importing the real entry.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./pool-worker.ts');
export default mod.default;
