// ZooKeeper's API error codes with one error class per code, so callers can match on class or
// on the numeric `code` that travels in reply headers.

export const ErrorCode = {
  ok: 0,
  systemError: -1,
  runtimeInconsistency: -2,
  dataInconsistency: -3,
  connectionLoss: -4,
  marshallingError: -5,
  unimplemented: -6,
  operationTimeout: -7,
  badArguments: -8,
  unknownSession: -12,
  newConfigNoQuorum: -13,
  reconfigInProgress: -14,
  apiError: -100,
  noNode: -101,
  noAuth: -102,
  badVersion: -103,
  noChildrenForEphemerals: -108,
  nodeExists: -110,
  notEmpty: -111,
  sessionExpired: -112,
  invalidCallback: -113,
  invalidACL: -114,
  authFailed: -115,
  sessionMoved: -118,
  notReadOnly: -119,
  ephemeralOnLocalSession: -120,
  noWatcher: -121,
  requestTimeout: -122,
  reconfigDisabled: -123,
  sessionClosedRequireSaslAuth: -124,
  quotaExceeded: -125,
  throttled: -127,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

export function errorName(code: number): string {
  return codeNames.get(code) ?? `unknown(${code})`;
}

/** An error ZooKeeper reports to a client; `code` is the wire value. */
export class ZooKeeperError extends Error {
  constructor(
    readonly code: number,
    message?: string,
    readonly path?: string,
  ) {
    super(message ?? `${errorName(code)}${path === undefined ? '' : ` for ${path}`}`);
    this.name = 'ZooKeeperError';
  }
}

type CodeErrorClass = new (message?: string, path?: string) => ZooKeeperError;

function make(code: ErrorCode, name: string): CodeErrorClass {
  return class extends ZooKeeperError {
    constructor(message?: string, path?: string) {
      super(code, message, path);
      this.name = name;
    }
  };
}

export const SystemError = make(ErrorCode.systemError, 'SystemError');
export const RuntimeInconsistencyError =
  make(ErrorCode.runtimeInconsistency, 'RuntimeInconsistencyError');
export const DataInconsistencyError = make(ErrorCode.dataInconsistency, 'DataInconsistencyError');
export const ConnectionLossError = make(ErrorCode.connectionLoss, 'ConnectionLossError');
export const MarshallingError = make(ErrorCode.marshallingError, 'MarshallingError');
export const UnimplementedError = make(ErrorCode.unimplemented, 'UnimplementedError');
export const OperationTimeoutError = make(ErrorCode.operationTimeout, 'OperationTimeoutError');
export const BadArgumentsError = make(ErrorCode.badArguments, 'BadArgumentsError');
export const UnknownSessionError = make(ErrorCode.unknownSession, 'UnknownSessionError');
export const NewConfigNoQuorumError = make(ErrorCode.newConfigNoQuorum, 'NewConfigNoQuorumError');
export const ReconfigInProgressError =
  make(ErrorCode.reconfigInProgress, 'ReconfigInProgressError');
export const ApiError = make(ErrorCode.apiError, 'ApiError');
export const NoNodeError = make(ErrorCode.noNode, 'NoNodeError');
export const NoAuthError = make(ErrorCode.noAuth, 'NoAuthError');
export const BadVersionError = make(ErrorCode.badVersion, 'BadVersionError');
export const NoChildrenForEphemeralsError =
  make(ErrorCode.noChildrenForEphemerals, 'NoChildrenForEphemeralsError');
export const NodeExistsError = make(ErrorCode.nodeExists, 'NodeExistsError');
export const NotEmptyError = make(ErrorCode.notEmpty, 'NotEmptyError');
export const SessionExpiredError = make(ErrorCode.sessionExpired, 'SessionExpiredError');
export const InvalidCallbackError = make(ErrorCode.invalidCallback, 'InvalidCallbackError');
export const InvalidACLError = make(ErrorCode.invalidACL, 'InvalidACLError');
export const AuthFailedError = make(ErrorCode.authFailed, 'AuthFailedError');
export const SessionMovedError = make(ErrorCode.sessionMoved, 'SessionMovedError');
export const NotReadOnlyError = make(ErrorCode.notReadOnly, 'NotReadOnlyError');
export const EphemeralOnLocalSessionError =
  make(ErrorCode.ephemeralOnLocalSession, 'EphemeralOnLocalSessionError');
export const NoWatcherError = make(ErrorCode.noWatcher, 'NoWatcherError');
export const RequestTimeoutError = make(ErrorCode.requestTimeout, 'RequestTimeoutError');
export const ReconfigDisabledError = make(ErrorCode.reconfigDisabled, 'ReconfigDisabledError');
export const SessionClosedRequireSaslAuthError =
  make(ErrorCode.sessionClosedRequireSaslAuth, 'SessionClosedRequireSaslAuthError');
export const QuotaExceededError = make(ErrorCode.quotaExceeded, 'QuotaExceededError');
export const ThrottledError = make(ErrorCode.throttled, 'ThrottledError');

const classes = new Map<number, CodeErrorClass>([
  [ErrorCode.systemError, SystemError],
  [ErrorCode.runtimeInconsistency, RuntimeInconsistencyError],
  [ErrorCode.dataInconsistency, DataInconsistencyError],
  [ErrorCode.connectionLoss, ConnectionLossError],
  [ErrorCode.marshallingError, MarshallingError],
  [ErrorCode.unimplemented, UnimplementedError],
  [ErrorCode.operationTimeout, OperationTimeoutError],
  [ErrorCode.badArguments, BadArgumentsError],
  [ErrorCode.unknownSession, UnknownSessionError],
  [ErrorCode.newConfigNoQuorum, NewConfigNoQuorumError],
  [ErrorCode.reconfigInProgress, ReconfigInProgressError],
  [ErrorCode.apiError, ApiError],
  [ErrorCode.noNode, NoNodeError],
  [ErrorCode.noAuth, NoAuthError],
  [ErrorCode.badVersion, BadVersionError],
  [ErrorCode.noChildrenForEphemerals, NoChildrenForEphemeralsError],
  [ErrorCode.nodeExists, NodeExistsError],
  [ErrorCode.notEmpty, NotEmptyError],
  [ErrorCode.sessionExpired, SessionExpiredError],
  [ErrorCode.invalidCallback, InvalidCallbackError],
  [ErrorCode.invalidACL, InvalidACLError],
  [ErrorCode.authFailed, AuthFailedError],
  [ErrorCode.sessionMoved, SessionMovedError],
  [ErrorCode.notReadOnly, NotReadOnlyError],
  [ErrorCode.ephemeralOnLocalSession, EphemeralOnLocalSessionError],
  [ErrorCode.noWatcher, NoWatcherError],
  [ErrorCode.requestTimeout, RequestTimeoutError],
  [ErrorCode.reconfigDisabled, ReconfigDisabledError],
  [ErrorCode.sessionClosedRequireSaslAuth, SessionClosedRequireSaslAuthError],
  [ErrorCode.quotaExceeded, QuotaExceededError],
  [ErrorCode.throttled, ThrottledError],
]);

/** The error class instance for a wire code (a plain ZooKeeperError for unknown codes). */
export function fromCode(code: number, path?: string): ZooKeeperError {
  const cls = classes.get(code);
  return cls === undefined ? new ZooKeeperError(code, undefined, path) : new cls(undefined, path);
}
