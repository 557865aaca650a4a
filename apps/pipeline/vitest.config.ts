import { sharedConfig } from '../../vitest.shared.ts';

// The verbose reporter prints every case, skipped ones with their reason in the title (emulators or
// Chromium not installed), so a skip is never silent.
export default sharedConfig({ test: { reporters: ['verbose'] } });
