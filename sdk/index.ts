/** Public surface of the Cocoon client SDK; docs/spec/sdk.md describes its use. */
export { CocoonClient, summarizeModels, EXPIRE_VALUE } from './client';
export type { CocoonClientOptions, SubmitOptions, JobStage, JobResult, JobUsage, PendingJob, ModelSummary } from './client';
export {
    CocoonError, JobDeclinedError, JobExpiredError, BadReceiptSignatureError, TimeoutError, InsufficientBalanceError,
    AttestationError, NoProviderError, JobRejectedError, BadResultError, RequestTooLargeError, ChainDisagreementError,
    SessionRejectedError, SessionGoneError, SessionRequestError, BadVoucherError, RunnerUnreachableError,
} from './errors';
export { Session, openSession, MIN_SESSION_TTL, DEFAULT_SESSION_TTL, SESSION_MESSAGE_VALUE, MAX_SESSION_REQUEST_BYTES } from './session';
export type { SessionOptions, SessionStage, SessionHost, ChatOptions, ChatResult, ChatStream, SessionStatus, CloseResult } from './session';
export type { SessionToolCall } from '../protocol/sessionWire';
export { VoucherBook, VoucherCheckError } from './sessionVouchers';
export type { VoucherContext } from './sessionVouchers';
export { voucherToJson, voucherFromJson } from '../protocol/voucherJson';
export type { VoucherJson, SessionVoucher } from '../protocol/voucherJson';
export { verifyVoucher, voucherCell } from '../protocol/voucher';
export type { SignedVoucher, SessionRef } from '../protocol/voucher';
export { chainClient, throttled, RATE_LIMIT_BACKOFF } from './chain';
export type { Chain, Backoff, ChainClientOptions } from './chain';
export { agreed, agreedTime, readAttestationTarget, CHAIN_TIME_TOLERANCE_S } from './crossCheck';
export type { CocoonErrorCode, AttestationFailure } from './errors';
export { MnemonicSigner, WALLET_FEE_MARGIN, MNEMONIC_ENV } from './signer';
export type { JobSigner, OutgoingMessage } from './signer';
export { AttestationVerifier, checkOnChain, checkBundle, fetchBundle, refuseDevRootOnPublicNetwork, QUOTE_VERIFICATION_REMOVED } from './attestation';
export type { AttestationPolicy, AttestationBundle, AttestationTarget, TcbVerdict } from './attestation';
export { pcsCollateralSource, fileCollateralSource, collateralSourceFrom, CachedCollateralSource, INTEL_PCS_URL } from '../attestation/collateralSource';
export type { CollateralSource, Platform } from '../attestation/collateralSource';
export { ProviderDirectory, snapshotNetwork, readRegistry, readProvider, deployedProviders } from './discovery';
export { checkRunnerUrl, MAX_RUNNER_URL_BYTES } from '../protocol/runnerUrl';
export { chooseProvider, rankProviders, priceOf } from './selection';
export type { SelectionCriteria, Choice } from './selection';
export { reputationScore } from './reputation';
export { prepareRequest, DEFAULT_MAX_OUTPUT_TOKENS } from './request';
export type { OpenAIRequest, PreparedRequest } from './request';
export { verifyReceipt, openJobResult } from './receipt';
export { TransactionFeed } from './feed';
export type * from './types';
