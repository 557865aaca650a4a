import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * The object-store oracle over S3 (AWS or an S3-compatible server): reads `s3://bucket/key` with the
 * raw SDK, bypassing the adapter; undefined when the object does not exist.
 */
export async function rawS3Get(client: S3Client, uri: string): Promise<Uint8Array | undefined> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an s3 URI: ${uri}`);
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    return await response.Body!.transformToByteArray();
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}
