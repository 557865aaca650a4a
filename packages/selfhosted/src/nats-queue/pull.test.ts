import { describe, expect, it } from 'vitest';
import { parseAckSubject } from './pull.ts';

describe('parseAckSubject', () => {
  it('reads the 9-token form of nats-server 2.9', () => {
    expect(parseAckSubject('$JS.ACK.cloudmux-jobs.cloudmux.3.42.57.1796207544146025518.0')).toEqual({
      stream: 'cloudmux-jobs',
      consumer: 'cloudmux',
      deliveryCount: 3,
      streamSequence: 42,
      storedAtNanos: 1796207544146025518n,
    });
  });

  it('reads the domain form with account hash and token', () => {
    expect(
      parseAckSubject('$JS.ACK.hub.ACCHASH.jobs.cloudmux.1.7.7.1796207544146025518.2.abc'),
    ).toMatchObject({
      stream: 'jobs',
      deliveryCount: 1,
      streamSequence: 7,
    });
  });

  it('refuses what is not an ack subject', () => {
    expect(parseAckSubject('_INBOX.abc')).toBeUndefined();
    expect(parseAckSubject('$JS.ACK.jobs.cloudmux.x.7.7.1.0')).toBeUndefined();
    expect(parseAckSubject('$JS.ACK.too.short')).toBeUndefined();
  });
});
