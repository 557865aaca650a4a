import { sharedConfig } from '../../vitest.shared.ts';

// The verbose reporter prints every case, skipped ones with their reason in the title (emulators or
// Chromium not installed), so a skip is never silent. The end-to-end cases run real servers,
// consumer processes and fault proxies on a machine CI shares with every other suite: a case that
// fails is run once more, and one that passes only then is listed by name, with its first error, at
// the end of the run (vitest.skips.ts).
export default sharedConfig({ test: { reporters: ['verbose'], retry: 1 } });
