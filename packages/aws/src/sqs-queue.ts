import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import {
  bodyBytes,
  CloudmuxError,
  type EnsureQueueOptions,
  type Queue,
  type QueueCapabilities,
  type QueueLimits,
  type ReceivedMessage,
  reportUsage,
  type SendBatchResult,
  type SendEntry,
  type SendOptions,
} from '@cloudmux/core';
import { awsCall, awsErrorName, invalidArgument, PROVIDER, translateAwsError } from './errors.ts';

export interface SqsQueueOptions {
  /** A ready client; when given, `clientConfig` is ignored and `close()` leaves it open. */
  client?: SQSClient;
  /** Settings for the client created lazily on first use (region, endpoint, credentials, …). */
  clientConfig?: SQSClientConfig;
  /** Prefix of every SQS queue name, e.g. `prod-`. */
  queuePrefix?: string;
  /** Override declared capabilities (for endpoints that cannot honour one). */
  capabilities?: Partial<QueueCapabilities>;
}

const CAPABILITIES: QueueCapabilities = {
  longPoll: true,
  delayedNack: true,
  extendVisibility: true,
  deadLetter: true,
  fifo: true,
  approximateDepth: true,
  binaryBodies: true,
};

/**
 * SQS limits. A message, and a whole batch request, may carry at most 256 KiB (the classic limit
 * every region and emulator enforces), counting attribute names and values. Binary bodies travel
 * base64-encoded, so their raw limit is three quarters of that. Over the limit → InvalidArgument
 * before anything is sent; nothing is spilled to S3.
 */
export const SQS_LIMITS: QueueLimits = {
  maxMessageBytes: 262_144,
  maxBatchEntries: 10,
  maxBatchBytes: 262_144,
  maxVisibilityTimeoutSeconds: 43_200,
  maxWaitSeconds: 20,
};

/** Message attribute marking a body that was base64-encoded because it was given as bytes. */
export const BINARY_ATTRIBUTE = 'cloudmux-encoding';
const CHUNK = 65_536;
const FIFO_SUFFIX = '.fifo';

interface Encoded {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  /** Bytes SQS counts against its size limit: body plus attribute names, types and values. */
  size: number;
}

function encode(body: string | Uint8Array, attributes: Record<string, string> | undefined): Encoded {
  const messageAttributes: Record<string, MessageAttributeValue> = {};
  let size = 0;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name === BINARY_ATTRIBUTE) {
      throw invalidArgument('queue', 'send', `attribute name '${BINARY_ATTRIBUTE}' is reserved`);
    }
    messageAttributes[name] = { DataType: 'String', StringValue: value };
    size += Buffer.byteLength(name) + 6 + Buffer.byteLength(value);
  }
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else {
    text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
    messageAttributes[BINARY_ATTRIBUTE] = { DataType: 'String', StringValue: 'base64' };
    size += BINARY_ATTRIBUTE.length + 6 + 6;
  }
  size += Buffer.byteLength(text);
  return { body: text, attributes: messageAttributes, size };
}

function decode(message: Message): Uint8Array {
  const text = message.Body ?? '';
  if (message.MessageAttributes?.[BINARY_ATTRIBUTE]?.StringValue === 'base64') {
    return new Uint8Array(Buffer.from(text, 'base64'));
  }
  return bodyBytes(text);
}

/** SQS bills each 64 KB chunk of a request's payload as one request. */
function chunks(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / CHUNK));
}

export function createSqsQueue(options: SqsQueueOptions = {}): Queue {
  const queuePrefix = options.queuePrefix ?? '';
  const ownsClient = !options.client;
  let client: SQSClient | undefined = options.client;
  const sqs = () => {
    client ??= new SQSClient(options.clientConfig ?? {});
    return client;
  };
  const urls = new Map<string, string>();
  const ctx = (operation: string, queue?: string) => ({
    resource: 'queue' as const,
    operation,
    ...(queue ? { subject: queuePrefix + queue } : {}),
  });

  /** The SQS name of a queue: FIFO queues must end in `.fifo`, which callers may leave out. */
  const physicalName = (name: string, fifo: boolean) =>
    queuePrefix + (fifo && !name.endsWith(FIFO_SUFFIX) ? name + FIFO_SUFFIX : name);

  const isFifoUrl = (url: string) => url.endsWith(FIFO_SUFFIX);
  const meter = (url: string, bytes: number, requests = 1) => {
    const unit = isFifoUrl(url) ? 'sqs.requests.fifo' : 'sqs.requests';
    reportUsage({ units: { [unit]: Math.max(requests, chunks(bytes)) } });
  };

  async function lookup(sqsName: string, operation: string, queue: string): Promise<string> {
    reportUsage({ units: { 'sqs.requests': 1 } });
    const response = await awsCall(ctx(operation, queue), () =>
      sqs().send(new GetQueueUrlCommand({ QueueName: sqsName })),
    );
    if (!response.QueueUrl)
      throw translateAwsError(new Error('no QueueUrl'), ctx(operation, queue), 'Internal');
    return response.QueueUrl;
  }

  async function urlOf(queue: string, operation: string): Promise<string> {
    const cached = urls.get(queue);
    if (cached) return cached;
    let url: string;
    try {
      url = await lookup(physicalName(queue, false), operation, queue);
    } catch (error) {
      // A FIFO queue created as `name` lives at `name.fifo`.
      if (!CloudmuxError.hasCode(error, 'NotFound') || queue.endsWith(FIFO_SUFFIX)) throw error;
      url = await lookup(physicalName(queue, true), operation, queue);
    }
    urls.set(queue, url);
    return url;
  }

  async function queueArn(url: string, queue: string): Promise<string> {
    reportUsage({ units: { 'sqs.requests': 1 } });
    const response = await awsCall(ctx('ensureQueue', queue), () =>
      sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })),
    );
    const arn = response.Attributes?.QueueArn;
    if (!arn) throw translateAwsError(new Error('no QueueArn'), ctx('ensureQueue', queue), 'Internal');
    return arn;
  }

  /** CreateQueue, or align the attributes of a queue that already exists with other ones. */
  async function createOrUpdate(queue: string, fifo: boolean, attributes: Record<string, string>) {
    const name = physicalName(queue, fifo);
    const createAttributes = fifo ? { ...attributes, FifoQueue: 'true' } : attributes;
    reportUsage({ units: { 'sqs.requests': 1 } });
    try {
      const response = await sqs().send(
        new CreateQueueCommand({ QueueName: name, Attributes: createAttributes }),
      );
      if (response.QueueUrl) urls.set(queue, response.QueueUrl);
      return response.QueueUrl ?? (await urlOf(queue, 'ensureQueue'));
    } catch (error) {
      const code = awsErrorName(error);
      if (code !== 'QueueAlreadyExists' && code !== 'QueueNameExists') {
        throw translateAwsError(error, ctx('ensureQueue', queue));
      }
      const url = await lookup(name, 'ensureQueue', queue);
      urls.set(queue, url);
      reportUsage({ units: { 'sqs.requests': 1 } });
      await awsCall(ctx('ensureQueue', queue), () =>
        sqs().send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes })),
      );
      return url;
    }
  }

  function validateEntry(entry: SendEntry, operation: string, fifo: boolean): Encoded {
    const encoded = encode(entry.body, entry.attributes);
    if (encoded.size > SQS_LIMITS.maxMessageBytes) {
      throw invalidArgument(
        'queue',
        operation,
        `message of ${encoded.size} bytes (encoded) exceeds the SQS limit of ${SQS_LIMITS.maxMessageBytes}`,
      );
    }
    if (entry.delaySeconds !== undefined && fifo) {
      throw invalidArgument('queue', operation, 'FIFO queues take no per-message delay');
    }
    return encoded;
  }

  function sendParams(entry: SendOptions, encoded: Encoded, fifo: boolean) {
    return {
      MessageBody: encoded.body,
      ...(Object.keys(encoded.attributes).length ? { MessageAttributes: encoded.attributes } : {}),
      ...(entry.delaySeconds !== undefined ? { DelaySeconds: entry.delaySeconds } : {}),
      // FIFO needs a group and a deduplication id; without one given, each send is its own message.
      ...(fifo
        ? {
            MessageGroupId: entry.groupId ?? 'default',
            MessageDeduplicationId: entry.dedupId ?? randomUUID(),
          }
        : {}),
    };
  }

  async function changeVisibility(
    queue: string,
    message: ReceivedMessage,
    seconds: number,
    operation: string,
  ) {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > SQS_LIMITS.maxVisibilityTimeoutSeconds) {
      throw invalidArgument('queue', operation, 'visibility must be 0–43200 whole seconds');
    }
    const url = await urlOf(queue, operation);
    meter(url, 0);
    await awsCall(ctx(operation, queue), () =>
      sqs().send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: message.receipt,
          VisibilityTimeout: seconds,
        }),
      ),
    );
  }

  const queue: Queue = {
    provider: PROVIDER,
    capabilities: { ...CAPABILITIES, ...options.capabilities },
    limits: SQS_LIMITS,

    async ensureQueue(name, ensure: EnsureQueueOptions = {}) {
      const fifo = ensure.fifo ?? name.endsWith(FIFO_SUFFIX);
      if (ensure.maxDeliveries !== undefined && !ensure.deadLetterQueue) {
        throw invalidArgument('queue', 'ensureQueue', 'maxDeliveries needs a deadLetterQueue');
      }
      const attributes: Record<string, string> = {
        VisibilityTimeout: String(ensure.visibilityTimeoutSeconds ?? 30),
      };
      if (ensure.deadLetterQueue) {
        // A FIFO queue's dead-letter queue must itself be FIFO.
        const dlqUrl = await createOrUpdate(ensure.deadLetterQueue, fifo, {});
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: await queueArn(dlqUrl, ensure.deadLetterQueue),
          maxReceiveCount: ensure.maxDeliveries ?? 5,
        });
      }
      await createOrUpdate(name, fifo, attributes);
    },

    async deleteQueue(name) {
      const url = await urlOf(name, 'deleteQueue');
      reportUsage({ units: { 'sqs.requests': 1 } });
      await awsCall(ctx('deleteQueue', name), () => sqs().send(new DeleteQueueCommand({ QueueUrl: url })));
      urls.delete(name);
    },

    async send(name, body, sendOptions: SendOptions = {}) {
      const url = await urlOf(name, 'send');
      const fifo = isFifoUrl(url);
      const encoded = validateEntry({ body, ...sendOptions }, 'send', fifo);
      meter(url, encoded.size);
      const response = await awsCall(ctx('send', name), () =>
        sqs().send(new SendMessageCommand({ QueueUrl: url, ...sendParams(sendOptions, encoded, fifo) })),
      );
      reportUsage({ bytesIn: encoded.size });
      return { id: response.MessageId ?? '' };
    },

    async sendBatch(name, entries): Promise<SendBatchResult> {
      if (entries.length > SQS_LIMITS.maxBatchEntries) {
        throw invalidArgument(
          'queue',
          'sendBatch',
          `a batch holds at most ${SQS_LIMITS.maxBatchEntries} entries`,
        );
      }
      if (entries.length === 0) return [];
      const url = await urlOf(name, 'sendBatch');
      const fifo = isFifoUrl(url);
      const results: SendBatchResult = new Array(entries.length);
      const valid: Array<{ index: number; encoded: Encoded }> = [];
      entries.forEach((entry, index) => {
        try {
          valid.push({ index, encoded: validateEntry(entry, 'sendBatch', fifo) });
        } catch (error) {
          results[index] = { ok: false, error: error as Error };
        }
      });
      const total = valid.reduce((sum, v) => sum + v.encoded.size, 0);
      if (total > SQS_LIMITS.maxBatchBytes) {
        throw invalidArgument(
          'queue',
          'sendBatch',
          `batch of ${total} bytes exceeds the SQS request limit of ${SQS_LIMITS.maxBatchBytes}`,
        );
      }
      if (valid.length) {
        meter(url, total);
        const response = await awsCall(ctx('sendBatch', name), () =>
          sqs().send(
            new SendMessageBatchCommand({
              QueueUrl: url,
              Entries: valid.map(({ index, encoded }) => ({
                Id: String(index),
                ...sendParams(entries[index]!, encoded, fifo),
              })),
            }),
          ),
        );
        reportUsage({ bytesIn: total });
        for (const ok of response.Successful ?? [])
          results[Number(ok.Id)] = { ok: true, id: ok.MessageId ?? '' };
        for (const failed of response.Failed ?? []) {
          results[Number(failed.Id)] = {
            ok: false,
            error: translateAwsError(
              Object.assign(new Error(failed.Message ?? failed.Code ?? 'send failed'), {
                Code: failed.Code,
                $fault: failed.SenderFault ? 'client' : 'server',
              }),
              ctx('sendBatch', name),
            ),
          };
        }
      }
      return results;
    },

    async receive(name, receiveOptions = {}) {
      const maxMessages = receiveOptions.maxMessages ?? 1;
      const waitSeconds = receiveOptions.waitSeconds ?? 0;
      if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > SQS_LIMITS.maxBatchEntries) {
        throw invalidArgument('queue', 'receive', `maxMessages must be 1–${SQS_LIMITS.maxBatchEntries}`);
      }
      if (waitSeconds < 0 || waitSeconds > SQS_LIMITS.maxWaitSeconds) {
        throw invalidArgument('queue', 'receive', `waitSeconds must be 0–${SQS_LIMITS.maxWaitSeconds}`);
      }
      const url = await urlOf(name, 'receive');
      const response = await awsCall(ctx('receive', name), () =>
        sqs().send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: maxMessages,
            WaitTimeSeconds: Math.ceil(waitSeconds),
            ...(receiveOptions.visibilityTimeoutSeconds !== undefined
              ? { VisibilityTimeout: receiveOptions.visibilityTimeoutSeconds }
              : {}),
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
            MessageAttributeNames: ['All'],
          }),
        ),
      );
      const messages = (response.Messages ?? []).map((message): ReceivedMessage => {
        const system = message.Attributes ?? {};
        const attributes: Record<string, string> = {};
        for (const [key, value] of Object.entries(message.MessageAttributes ?? {})) {
          if (key !== BINARY_ATTRIBUTE && value.StringValue !== undefined)
            attributes[key] = value.StringValue;
        }
        return {
          id: message.MessageId ?? '',
          receipt: message.ReceiptHandle ?? '',
          body: decode(message),
          deliveryCount: Number(system.ApproximateReceiveCount ?? 1),
          ...(system.SentTimestamp ? { sentAt: new Date(Number(system.SentTimestamp)) } : {}),
          ...(system.MessageGroupId ? { groupId: system.MessageGroupId } : {}),
          ...(Object.keys(attributes).length ? { attributes } : {}),
        };
      });
      const bytes = (response.Messages ?? []).reduce((sum, m) => sum + Buffer.byteLength(m.Body ?? ''), 0);
      meter(url, bytes);
      reportUsage({ bytesOut: bytes });
      return messages;
    },

    async ack(name, message) {
      const url = await urlOf(name, 'ack');
      meter(url, 0);
      try {
        await sqs().send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.receipt }));
      } catch (error) {
        // A receipt that expired or was already used: the message is gone or someone else owns it.
        if (awsErrorName(error) === 'ReceiptHandleIsInvalid') return;
        throw translateAwsError(error, ctx('ack', name));
      }
    },

    async ackMany(name, messages) {
      if (!messages.length) return;
      const url = await urlOf(name, 'ackMany');
      for (let start = 0; start < messages.length; start += SQS_LIMITS.maxBatchEntries) {
        const chunk = messages.slice(start, start + SQS_LIMITS.maxBatchEntries);
        meter(url, 0);
        const response = await awsCall(ctx('ackMany', name), () =>
          sqs().send(
            new DeleteMessageBatchCommand({
              QueueUrl: url,
              Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receipt })),
            }),
          ),
        );
        const failed = (response.Failed ?? []).find((f) => f.Code !== 'ReceiptHandleIsInvalid');
        if (failed) {
          throw translateAwsError(
            Object.assign(new Error(failed.Message ?? 'delete failed'), { Code: failed.Code }),
            ctx('ackMany', name),
          );
        }
      }
    },

    nack: (name, message, nackOptions) =>
      changeVisibility(name, message, nackOptions?.delaySeconds ?? 0, 'nack'),

    extendVisibility: (name, message, seconds) =>
      changeVisibility(name, message, seconds, 'extendVisibility'),

    async depth(name) {
      const url = await urlOf(name, 'depth');
      meter(url, 0);
      const response = await awsCall(ctx('depth', name), () =>
        sqs().send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
              'ApproximateNumberOfMessagesDelayed',
            ],
          }),
        ),
      );
      const a = response.Attributes ?? {};
      return {
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    },

    async close() {
      if (ownsClient) client?.destroy();
      client = undefined;
    },
  };
  return queue;
}
