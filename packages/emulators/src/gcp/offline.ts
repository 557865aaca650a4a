/**
 * Imported by every GCP emulator starter. With no credentials on the machine, google-auth-library
 * probes the GCE metadata server (metadata.google.internal / 169.254.169.254) while the clients
 * set up; against emulators that probe is pointless and sends traffic off loopback. gcp-metadata's
 * documented switch turns it off (unless the caller chose a mode already).
 */
process.env.METADATA_SERVER_DETECTION ??= 'none';

export {};
