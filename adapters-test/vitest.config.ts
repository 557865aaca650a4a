import { sharedConfig } from '../vitest.shared.ts';

// The verbose reporter prints each case, and with each skip the note given to ctx.skip(note), so a
// plain `vitest run` shows why every contract case was skipped.
export default sharedConfig({ test: { reporters: ['verbose'] } });
