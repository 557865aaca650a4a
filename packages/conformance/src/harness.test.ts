/**
 * The harness rules every suite leans on: a capability declared unsupported must throw
 * UnsupportedError (a no-op fails the case), an endpoint gap skips with its reason, and
 * `expectCode` fails on success, on a foreign error and on the wrong code.
 */
import { CloudmuxError, UnsupportedError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { beginCase, expectCode, gate } from './harness.ts';

const unsupported = () =>
  Promise.reject(
    new UnsupportedError({ provider: 'demo', resource: 'queue', operation: 'peek', capability: 'peek' }),
  );

describe('gate', () => {
  it('declared unsupported: passes when the call throws UnsupportedError, and the body does not run', async (ctx) => {
    expect(await gate(ctx, {}, false, 'peek', unsupported)).toBe(false);
  });

  it('declared unsupported: fails when the call quietly succeeds (a no-op is not allowed)', async (ctx) => {
    await expect(gate(ctx, {}, false, 'peek', async () => 'did nothing')).rejects.toThrow(
      /expected a CloudmuxError with code Unsupported, got success/,
    );
  });

  it('declared supported with no gap: the body runs', async (ctx) => {
    expect(await gate(ctx, {}, true, 'peek', unsupported)).toBe(true);
  });

  it('declared supported but an endpoint gap: skipped with the gap as the reason', async (ctx) => {
    let note: string | undefined;
    // A context whose skip is observed instead of skipping this case itself.
    const skip = (first?: unknown, second?: string): never => {
      note = typeof first === 'string' ? first : second;
      throw new Error('skipped');
    };
    await expect(
      gate(
        { ...ctx, skip },
        { endpointGaps: { peek: 'the emulator has no peek' } },
        true,
        'peek',
        unsupported,
      ),
    ).rejects.toThrow('skipped');
    expect(note).toBe('endpoint gap (peek): the emulator has no peek');
    expect(ctx.task.meta.skipReason).toBe(note);
  });
});

describe('expectCode', () => {
  it('returns the error when the code matches', async () => {
    const error = await expectCode(
      Promise.reject(new CloudmuxError({ code: 'NotFound', message: 'gone' })),
      'NotFound',
    );
    expect(error.code).toBe('NotFound');
  });

  it('fails on a different code, on an error that is not a CloudmuxError, and on success', async () => {
    await expect(
      expectCode(Promise.reject(new CloudmuxError({ code: 'Internal', message: 'x' })), 'NotFound'),
    ).rejects.toThrow(/Internal/);
    await expect(expectCode(Promise.reject(new Error('plain')), 'NotFound')).rejects.toThrow(
      /expected a CloudmuxError/,
    );
    await expect(expectCode(Promise.resolve('ok'), 'NotFound')).rejects.toThrow(/got success/);
  });
});

describe('beginCase', () => {
  it('records the declared capabilities with endpoint gaps turned off', (ctx) => {
    const usable = beginCase(
      ctx,
      { provider: 'demo', endpoint: 'emulator:fake', endpointGaps: { fifo: 'no FIFO here' } },
      'queue',
      { fifo: true, longPoll: true },
    );
    expect(usable).toEqual({ fifo: false, longPoll: true });
    expect(ctx.task.meta.contract).toEqual({
      provider: 'demo',
      interface: 'queue',
      endpoint: 'emulator:fake',
      capabilities: { fifo: false, longPoll: true },
      gaps: { fifo: 'no FIFO here' },
    });
  });
});
