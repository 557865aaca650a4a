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
  DriverError,
  type DriverSendOutcome,
  type Meter,
  type OutgoingMessage,
  portableQueue,
  type Queue,
  type QueueCapabilities,
  type QueueDriver,
  type QueueLimits,
  type QueueSettings,
  type ReceivedMessage,
  type ReportingCall,
} from '@cloudmux/core';
import { awsErrorName, codeOf, PROVIDER, withCredentialsHint } from './errors.ts';

export interface SqsQueueOptions {
  /** A ready client; when given, `clientConfig` is ignored and `close()` leaves it open. */
  client?: SQSClient;
  /** Settings for the client created lazily on first use (region, endpoint, credentials, …). */
  clientConfig?: SQSClientConfig;
  /** Prefix of every SQS queue name, e.g. `prod-`. */
  queuePrefix?: string;
  /** Override declared capabilities (for endpoints that cannot honour one). */
  capabilities?: Partial<QueueCapabilities>;
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
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
 * base64-encoded, so their raw limit is three quarters of that (`messageSize` counts the encoded
 * form; the portable Queue refuses larger messages before anything is sent; nothing is spilled to S3).
 */
export const SQS_LIMITS: QueueLimits = {
  maxMessageBytes: 262_144,
  maxBatchEntries: 10,
  maxBatchBytes: 262_144,
  maxVisibilityTimeoutSeconds: 43_200,
  maxWaitSeconds: 20,
  maxDelaySeconds: 900,
};

/** Message attribute marking a body that was base64-encoded because it was given as bytes. */
export const BINARY_ATTRIBUTE = 'cloudmux-encoding';
const CHUNK = 65_536;
const FIFO_SUFFIX = '.fifo';
const QUEUE_NAME = /^[A-Za-z0-9_-]+(\.fifo)?$/;
const MAX_NAME_LENGTH = 80;

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
      throw new DriverError('InvalidArgument', {
        detail: `attribute name '${BINARY_ATTRIBUTE}' is reserved`,
      });
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

/** Amazon SQS: the portable Queue over the SQS driver. */
export function createSqsQueue(options: SqsQueueOptions = {}): Queue {
  return portableQueue(createSqsQueueDriver(options), { meter: options.meter });
}

export function createSqsQueueDriver(options: SqsQueueOptions = {}): QueueDriver {
  const queuePrefix = options.queuePrefix ?? '';
  const ownsClient = !options.client;
  let client: SQSClient | undefined = options.client;
  const sqs = () => {
    client ??= withCredentialsHint(new SQSClient(options.clientConfig ?? {}), 'queue');
    return client;
  };
  const urls = new Map<string, string>();
  // The encoding is computed once per message: for its size, then for the request.
  const encodings = new WeakMap<OutgoingMessage, Encoded>();
  const encoded = (message: OutgoingMessage): Encoded => {
    let found = encodings.get(message);
    if (!found) {
      found = encode(message.body, message.attributes);
      encodings.set(message, found);
    }
    return found;
  };
  const abortable = (call: ReportingCall) => (call.signal ? { abortSignal: call.signal } : undefined);

  /** The SQS name of a queue: FIFO queues must end in `.fifo`, which callers may leave out. */
  const physicalName = (name: string, fifo: boolean) =>
    queuePrefix + (fifo && !name.endsWith(FIFO_SUFFIX) ? name + FIFO_SUFFIX : name);

  const isFifoUrl = (url: string) => url.endsWith(FIFO_SUFFIX);
  const meter = (call: ReportingCall, url: string, bytes: number, requests = 1) => {
    const unit = isFifoUrl(url) ? 'sqs.requests.fifo' : 'sqs.requests';
    call.report({ units: { [unit]: Math.max(requests, chunks(bytes)) } });
  };

  async function lookup(sqsName: string, call: ReportingCall): Promise<string> {
    call.report({ units: { 'sqs.requests': 1 } });
    const response = await sqs().send(new GetQueueUrlCommand({ QueueName: sqsName }), abortable(call));
    if (!response.QueueUrl) throw new DriverError('Internal', { detail: 'GetQueueUrl returned no QueueUrl' });
    return response.QueueUrl;
  }

  async function urlOf(queue: string, call: ReportingCall): Promise<string> {
    const cached = urls.get(queue);
    if (cached) return cached;
    let url: string;
    try {
      url = await lookup(physicalName(queue, false), call);
    } catch (error) {
      // A FIFO queue created as `name` lives at `name.fifo`.
      if (codeOf(error) !== 'NotFound' || queue.endsWith(FIFO_SUFFIX)) throw error;
      url = await lookup(physicalName(queue, true), call);
    }
    urls.set(queue, url);
    return url;
  }

  async function queueArn(url: string, call: ReportingCall): Promise<string> {
    call.report({ units: { 'sqs.requests': 1 } });
    const response = await sqs().send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      abortable(call),
    );
    const arn = response.Attributes?.QueueArn;
    if (!arn) throw new DriverError('Internal', { detail: 'GetQueueAttributes returned no QueueArn' });
    return arn;
  }

  /** CreateQueue, or align the attributes of a queue that already exists with other ones. */
  async function createOrUpdate(
    queue: string,
    fifo: boolean,
    attributes: Record<string, string>,
    call: ReportingCall,
  ) {
    const name = physicalName(queue, fifo);
    const createAttributes = fifo ? { ...attributes, FifoQueue: 'true' } : attributes;
    call.report({ units: { 'sqs.requests': 1 } });
    try {
      const response = await sqs().send(
        new CreateQueueCommand({ QueueName: name, Attributes: createAttributes }),
        abortable(call),
      );
      if (response.QueueUrl) urls.set(queue, response.QueueUrl);
      return response.QueueUrl ?? (await urlOf(queue, call));
    } catch (error) {
      const code = awsErrorName(error);
      if (code !== 'QueueAlreadyExists' && code !== 'QueueNameExists') throw error;
      const url = await lookup(name, call);
      urls.set(queue, url);
      call.report({ units: { 'sqs.requests': 1 } });
      await sqs().send(
        new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }),
        abortable(call),
      );
      return url;
    }
  }

  function sendParams(message: OutgoingMessage, fifo: boolean) {
    if (message.delaySeconds !== undefined && fifo) {
      throw new DriverError('InvalidArgument', { detail: 'FIFO queues take no per-message delay' });
    }
    const { body, attributes } = encoded(message);
    return {
      MessageBody: body,
      ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
      ...(message.delaySeconds !== undefined ? { DelaySeconds: message.delaySeconds } : {}),
      // FIFO needs a group and a deduplication id; without one given, each send is its own message.
      ...(fifo
        ? {
            MessageGroupId: message.groupId ?? 'default',
            MessageDeduplicationId: message.dedupId ?? randomUUID(),
          }
        : {}),
    };
  }

  async function changeVisibility(
    queue: string,
    message: ReceivedMessage,
    seconds: number,
    call: ReportingCall,
  ) {
    const url = await urlOf(queue, call);
    meter(call, url, 0);
    await sqs().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: message.receipt,
        VisibilityTimeout: seconds,
      }),
      abortable(call),
    );
  }

  function toMessage(message: Message): ReceivedMessage {
    const system = message.Attributes ?? {};
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(message.MessageAttributes ?? {})) {
      if (key !== BINARY_ATTRIBUTE && value.StringValue !== undefined) attributes[key] = value.StringValue;
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
  }

  return {
    provider: PROVIDER,
    capabilities: { ...CAPABILITIES, ...options.capabilities },
    limits: SQS_LIMITS,
    queueNameProblem: (name) =>
      QUEUE_NAME.test(name) && (queuePrefix + name).length <= MAX_NAME_LENGTH
        ? undefined
        : `letters, digits, "-" and "_" (an optional ".fifo" suffix), at most ${MAX_NAME_LENGTH} with the prefix`,
    messageSize: (message) => encoded(message).size,
    errorCode: codeOf,
    native: sqs,

    async ensureQueue(name, settings: QueueSettings, call) {
      const fifo = settings.fifo ?? name.endsWith(FIFO_SUFFIX);
      const attributes: Record<string, string> = {
        VisibilityTimeout: String(settings.visibilityTimeoutSeconds ?? 30),
      };
      if (settings.deadLetterQueue) {
        // A FIFO queue's dead-letter queue must itself be FIFO.
        const dlqUrl = await createOrUpdate(settings.deadLetterQueue, fifo, {}, call);
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: await queueArn(dlqUrl, call),
          maxReceiveCount: settings.maxDeliveries,
        });
      }
      await createOrUpdate(name, fifo, attributes, call);
    },

    async deleteQueue(name, call) {
      const url = await urlOf(name, call);
      call.report({ units: { 'sqs.requests': 1 } });
      await sqs().send(new DeleteQueueCommand({ QueueUrl: url }), abortable(call));
      urls.delete(name);
    },

    async send(name, message, call) {
      const url = await urlOf(name, call);
      const params = sendParams(message, isFifoUrl(url));
      const size = encoded(message).size;
      meter(call, url, size);
      const response = await sqs().send(
        new SendMessageCommand({ QueueUrl: url, ...params }),
        abortable(call),
      );
      call.report({ bytesIn: size });
      return response.MessageId ?? '';
    },

    async sendBatch(name, messages, call): Promise<DriverSendOutcome[]> {
      const url = await urlOf(name, call);
      const fifo = isFifoUrl(url);
      const outcomes: DriverSendOutcome[] = new Array(messages.length);
      const entries: Array<{ Id: string } & ReturnType<typeof sendParams>> = [];
      let total = 0;
      messages.forEach((message, index) => {
        try {
          entries.push({ Id: String(index), ...sendParams(message, fifo) });
          total += encoded(message).size;
        } catch (error) {
          outcomes[index] = { error };
        }
      });
      if (entries.length === 0) return outcomes;
      meter(call, url, total);
      const response = await sqs().send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }),
        abortable(call),
      );
      call.report({ bytesIn: total });
      for (const ok of response.Successful ?? []) outcomes[Number(ok.Id)] = { id: ok.MessageId ?? '' };
      for (const failed of response.Failed ?? []) {
        // Shaped like the SDK's own exceptions, so `errorCode` reads it like any other SQS error.
        outcomes[Number(failed.Id)] = {
          error: Object.assign(new Error(failed.Message ?? failed.Code ?? 'send failed'), {
            name: failed.Code ?? 'BatchResultErrorEntry',
            Code: failed.Code,
            $fault: failed.SenderFault ? 'client' : 'server',
          }),
        };
      }
      return outcomes;
    },

    async receive(name, options, call) {
      const url = await urlOf(name, call);
      const response = await sqs().send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: options.maxMessages,
          WaitTimeSeconds: Math.ceil(options.waitSeconds),
          ...(options.visibilityTimeoutSeconds !== undefined
            ? { VisibilityTimeout: options.visibilityTimeoutSeconds }
            : {}),
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
          MessageAttributeNames: ['All'],
        }),
        abortable(call),
      );
      const messages = (response.Messages ?? []).map(toMessage);
      const bytes = (response.Messages ?? []).reduce((sum, m) => sum + Buffer.byteLength(m.Body ?? ''), 0);
      meter(call, url, bytes);
      call.report({ bytesOut: bytes });
      return messages;
    },

    async ack(name, messages, call) {
      const url = await urlOf(name, call);
      meter(call, url, 0);
      if (messages.length === 1) {
        try {
          await sqs().send(
            new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: messages[0]!.receipt }),
            abortable(call),
          );
        } catch (error) {
          // A receipt that expired or was already used: the message is gone or someone else owns it.
          if (awsErrorName(error) !== 'ReceiptHandleIsInvalid') throw error;
        }
        return;
      }
      const response = await sqs().send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receipt })),
        }),
        abortable(call),
      );
      const failed = (response.Failed ?? []).find((f) => f.Code !== 'ReceiptHandleIsInvalid');
      if (failed) {
        throw Object.assign(new Error(failed.Message ?? 'delete failed'), {
          name: failed.Code ?? 'BatchResultErrorEntry',
          Code: failed.Code,
        });
      }
    },

    release: changeVisibility,
    extendVisibility: changeVisibility,

    async depth(name, call) {
      const url = await urlOf(name, call);
      meter(call, url, 0);
      const response = await sqs().send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
        abortable(call),
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
}
