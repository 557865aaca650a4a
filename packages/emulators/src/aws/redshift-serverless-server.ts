/**
 * A wire-compatible test server for the Amazon Redshift Serverless control plane (namespaces and
 * workgroups). No emulator covers it (moto 5.2.5 has `redshift` and `redshiftdata`, not
 * `redshift-serverless`), so this speaks its documented protocol — AWS JSON 1.1, `POST /` with
 * `X-Amz-Target: RedshiftServerless.<Operation>`, errors as `{ "__type", "message" }` with HTTP 400 —
 * to the unmodified `@aws-sdk/client-redshift-serverless`.
 *
 * Operations: CreateNamespace, GetNamespace, UpdateNamespace (IAM roles), DeleteNamespace,
 * ListNamespaces, CreateWorkgroup, GetWorkgroup, DeleteWorkgroup, ListWorkgroups.
 *
 * What it enforces, as the service does: a SigV4 `Authorization` header scoped to the
 * `redshift-serverless` service (MissingAuthenticationTokenException otherwise); names are unique
 * (ConflictException); a workgroup needs an existing namespace, and a namespace with a workgroup
 * cannot be deleted (ResourceNotFoundException / ConflictException); base capacity is 4, or 8 to
 * 1024 in steps of 8 RPUs (ValidationException); a workgroup is CREATING for its first
 * `pendingReads` GetWorkgroup calls before AVAILABLE, and a deleted one is DELETING for one read
 * before it is gone, so clients exercise their waiting.
 *
 * Known divergences: no VPC, subnets, security groups, admin passwords, snapshots, usage limits or
 * tags; ARNs use a fixed account id; creation is paced by reads, not time; nothing is billed.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, type JsonHandler, serveAwsJson } from './json-protocol.ts';

const ACCOUNT = '123456789012';

interface Namespace {
  namespaceName: string;
  namespaceId: string;
  namespaceArn: string;
  dbName: string;
  /** As the service lists them: `IamRole(applyStatus=in-sync, iamRoleArn=<arn>)`. */
  iamRoles: string[];
  defaultIamRoleArn?: string;
  status: 'AVAILABLE' | 'DELETING';
  creationDate: string;
}

interface Workgroup {
  workgroupName: string;
  workgroupId: string;
  workgroupArn: string;
  namespaceName: string;
  baseCapacity: number;
  publiclyAccessible: boolean;
  status: 'CREATING' | 'AVAILABLE' | 'DELETING';
  creationDate: string;
  port: number;
  /** Reads left before the status moves on. */
  reads: number;
}

export interface RedshiftServerlessServer {
  endpoint: string;
  region: string;
  /** Operations received, in order (for tests of what a client asked for). */
  readonly calls: ReadonlyArray<{ operation: string; input: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export interface RedshiftServerlessServerOptions {
  region?: string;
  /** GetWorkgroup reads answering CREATING before AVAILABLE. Default 2. */
  pendingReads?: number;
}

const NAME = /^[a-z0-9-]{3,64}$/;

export async function startRedshiftServerlessServer(
  options: RedshiftServerlessServerOptions = {},
): Promise<RedshiftServerlessServer> {
  const region = options.region ?? 'us-east-1';
  const pendingReads = options.pendingReads ?? 2;
  const namespaces = new Map<string, Namespace>();
  const workgroups = new Map<string, Workgroup>();
  const calls: Array<{ operation: string; input: Record<string, unknown> }> = [];
  const arn = (kind: string, id: string) => `arn:aws:redshift-serverless:${region}:${ACCOUNT}:${kind}/${id}`;
  // The service models creationDate as date-time: RFC 3339 strings, not the protocol's default epoch seconds.
  const now = () => new Date().toISOString();

  const requireName = (input: Record<string, unknown>, field: string): string => {
    const value = input[field];
    if (typeof value !== 'string' || !NAME.test(value)) {
      throw new ApiError(
        'ValidationException',
        `${field} must be 3-64 lower-case letters, digits and hyphens (got ${JSON.stringify(value)})`,
      );
    }
    return value;
  };
  const namespaceOf = (name: string) => {
    const namespace = namespaces.get(name);
    if (!namespace) throw new ApiError('ResourceNotFoundException', `namespace ${name} not found`);
    return namespace;
  };
  const view = (workgroup: Workgroup) => {
    const { reads: _reads, ...rest } = workgroup;
    return {
      ...rest,
      endpoint: {
        address: `${workgroup.workgroupName}.${ACCOUNT}.${region}.redshift-serverless.amazonaws.com`,
        port: workgroup.port,
      },
    };
  };

  const iamRolesOf = (input: Record<string, unknown>) => {
    const roles = Array.isArray(input.iamRoles) ? (input.iamRoles as string[]) : [];
    const defaultRole = typeof input.defaultIamRoleArn === 'string' ? input.defaultIamRoleArn : undefined;
    if (defaultRole && !roles.includes(defaultRole)) {
      throw new ApiError('ValidationException', 'defaultIamRoleArn must be one of iamRoles');
    }
    return {
      iamRoles: roles.map((arn) => `IamRole(applyStatus=in-sync, iamRoleArn=${arn})`),
      ...(defaultRole ? { defaultIamRoleArn: defaultRole } : {}),
    };
  };

  const handlers: Record<string, JsonHandler> = {
    CreateNamespace(input) {
      const name = requireName(input, 'namespaceName');
      if (namespaces.has(name)) throw new ApiError('ConflictException', `Namespace ${name} already exists`);
      const id = randomUUID();
      const namespace: Namespace = {
        namespaceName: name,
        namespaceId: id,
        namespaceArn: arn('namespace', id),
        dbName: typeof input.dbName === 'string' ? input.dbName : 'dev',
        ...iamRolesOf(input),
        status: 'AVAILABLE',
        creationDate: now(),
      };
      namespaces.set(name, namespace);
      return { namespace };
    },
    GetNamespace(input) {
      const namespace = namespaceOf(requireName(input, 'namespaceName'));
      if (namespace.status === 'DELETING') namespaces.delete(namespace.namespaceName);
      return { namespace };
    },
    UpdateNamespace(input) {
      const namespace = namespaceOf(requireName(input, 'namespaceName'));
      if (
        (input.iamRoles === undefined) !== (input.defaultIamRoleArn === undefined) &&
        input.defaultIamRoleArn !== undefined
      ) {
        throw new ApiError('ValidationException', 'defaultIamRoleArn must be updated together with iamRoles');
      }
      Object.assign(namespace, iamRolesOf(input));
      return { namespace };
    },
    ListNamespaces() {
      return { namespaces: [...namespaces.values()] };
    },
    DeleteNamespace(input) {
      const namespace = namespaceOf(requireName(input, 'namespaceName'));
      const attached = [...workgroups.values()].find((w) => w.namespaceName === namespace.namespaceName);
      if (attached) {
        throw new ApiError(
          'ConflictException',
          `Namespace ${namespace.namespaceName} has workgroup ${attached.workgroupName}; delete the workgroup first`,
        );
      }
      if (namespace.status === 'DELETING') {
        throw new ApiError(
          'ConflictException',
          `Namespace ${namespace.namespaceName} is already being deleted`,
        );
      }
      namespace.status = 'DELETING';
      return { namespace };
    },
    CreateWorkgroup(input) {
      const name = requireName(input, 'workgroupName');
      const namespaceName = requireName(input, 'namespaceName');
      if (workgroups.has(name)) throw new ApiError('ConflictException', `Workgroup ${name} already exists`);
      namespaceOf(namespaceName);
      const baseCapacity = input.baseCapacity === undefined ? 128 : Number(input.baseCapacity);
      if (!(baseCapacity === 4 || (baseCapacity >= 8 && baseCapacity <= 1024 && baseCapacity % 8 === 0))) {
        throw new ApiError(
          'ValidationException',
          `baseCapacity must be 4, or 8 to 1024 in steps of 8 (got ${input.baseCapacity})`,
        );
      }
      const id = randomUUID();
      const workgroup: Workgroup = {
        workgroupName: name,
        workgroupId: id,
        workgroupArn: arn('workgroup', id),
        namespaceName,
        baseCapacity,
        publiclyAccessible: input.publiclyAccessible === true,
        status: 'CREATING',
        creationDate: now(),
        port: typeof input.port === 'number' ? input.port : 5439,
        reads: pendingReads,
      };
      workgroups.set(name, workgroup);
      return { workgroup: view(workgroup) };
    },
    GetWorkgroup(input) {
      const name = requireName(input, 'workgroupName');
      const workgroup = workgroups.get(name);
      if (!workgroup) throw new ApiError('ResourceNotFoundException', `Workgroup ${name} not found`);
      const answer = view(workgroup);
      if (workgroup.status === 'CREATING' && --workgroup.reads <= 0) workgroup.status = 'AVAILABLE';
      if (workgroup.status === 'DELETING') workgroups.delete(name);
      return { workgroup: answer };
    },
    ListWorkgroups() {
      return { workgroups: [...workgroups.values()].map(view) };
    },
    DeleteWorkgroup(input) {
      const name = requireName(input, 'workgroupName');
      const workgroup = workgroups.get(name);
      if (!workgroup) throw new ApiError('ResourceNotFoundException', `Workgroup ${name} not found`);
      if (workgroup.status === 'CREATING') {
        throw new ApiError(
          'ConflictException',
          `Workgroup ${name} is being created; try again when it is AVAILABLE`,
        );
      }
      workgroup.status = 'DELETING';
      return { workgroup: view(workgroup) };
    },
  };

  const server = await serveAwsJson({
    service: 'RedshiftServerless',
    handlers,
    authorize(req) {
      const authorization = String(req.headers.authorization ?? '');
      if (
        !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/redshift-serverless\/aws4_request/.test(
          authorization,
        )
      ) {
        throw new ApiError(
          'MissingAuthenticationTokenException',
          'Missing or invalid SigV4 Authorization header',
        );
      }
    },
    onCall: (operation, input) => calls.push({ operation, input }),
  });
  return {
    endpoint: server.endpoint,
    region,
    calls,
    stop: () => server.close(),
  };
}
