import { sharedConfig } from '../vitest.shared.ts';

// The verbose reporter prints each case, and with each skip the note given to ctx.skip(note), so a
// plain `vitest run` shows why every contract case was skipped. Cases run against real servers with
// windows of one or two seconds (visibility timeouts, delays) on a machine CI shares with every
// other suite: a case that fails is run once more, and one that passes only then is listed by name,
// with its first error, at the end of the run (vitest.skips.ts).
export default sharedConfig({ test: { reporters: ['verbose'], retry: 1 } });
