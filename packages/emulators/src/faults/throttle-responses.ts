/**
 * The 503 each service answers when it sheds load, as its SDK expects to parse it: the fault
 * proxy's `throttle` fault returns these, so the SDK's own retry logic and the adapter's error
 * translation meet what they would meet in the cloud.
 */
import type { IncomingMessage } from 'node:http';

/**
 * - `aws`: S3 answers XML `SlowDown`; the JSON protocols (SQS, Secrets Manager, Redshift Data)
 *   answer a JSON `ServiceUnavailable`/`ThrottlingException`-style body, told apart by the
 *   `x-amz-target` header or a JSON content type.
 * - `gcp`: the JSON error envelope of Google's REST APIs (Cloud Storage, BigQuery).
 * - `azure-storage`: the Storage XML error with `x-ms-error-code: ServerBusy`.
 * - `azure-json`: the JSON error of Azure's other REST APIs (Key Vault).
 */
export type ServiceFlavor = 'aws' | 'gcp' | 'azure-storage' | 'azure-json';

export interface ThrottleAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const REQUEST_ID = 'cloudmux-fault-proxy';

export function throttleResponse(flavor: ServiceFlavor, req: IncomingMessage): ThrottleAnswer {
  switch (flavor) {
    case 'aws': {
      const json =
        req.headers['x-amz-target'] !== undefined ||
        String(req.headers['content-type'] ?? '').includes('application/x-amz-json');
      if (json) {
        return {
          status: 503,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amzn-requestid': REQUEST_ID,
            // The SQS JSON protocol names its query-compatible error here.
            'x-amzn-query-error': 'ServiceUnavailable;Receiver',
          },
          body: JSON.stringify({
            __type: 'com.amazonaws.coral.availability#ServiceUnavailableException',
            message: 'Service is unable to handle request (injected by the fault proxy)',
          }),
        };
      }
      return {
        status: 503,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': REQUEST_ID },
        body:
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
          '<Message>Please reduce your request rate. (injected by the fault proxy)</Message>' +
          `<RequestId>${REQUEST_ID}</RequestId></Error>`,
      };
    }
    case 'gcp':
      return {
        status: 503,
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        body: JSON.stringify({
          error: {
            code: 503,
            message: 'Backend Error (injected by the fault proxy)',
            status: 'UNAVAILABLE',
            errors: [{ message: 'Backend Error', domain: 'global', reason: 'backendError' }],
          },
        }),
      };
    case 'azure-storage':
      return {
        status: 503,
        headers: {
          'content-type': 'application/xml',
          'x-ms-error-code': 'ServerBusy',
          'x-ms-request-id': REQUEST_ID,
        },
        body:
          '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code>' +
          '<Message>The server is busy. (injected by the fault proxy)</Message></Error>',
      };
    case 'azure-json':
      return {
        status: 503,
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': REQUEST_ID },
        body: JSON.stringify({
          error: { code: 'ServiceUnavailable', message: 'The service is busy (injected by the fault proxy)' },
        }),
      };
  }
}
