/** Public surface of the attestation package. docs/spec/attestation.md describes the behaviour. */
export { QuoteParseError } from './errors';
export { parseQuote, type ParseOptions } from './parseQuote';
export type { Quote, QuoteHeader, TdReport, QeReport, QuoteSignatureData } from './quoteTypes';
export { verifyQuote, type VerifyOptions, type VerificationResult, type TcbResult } from './verify';
export { CHECKS, type CheckName, type CheckFailure } from './checks';
export { type Collateral, type SignedJson, collateralFromDcapJson, signedJsonFromPcsBody } from './collateral';
export { loadCollateral } from './collateralLoad';
export { TCB_STATUSES, type TcbStatus, DEFAULT_ACCEPTED_TCB_STATUSES } from './tcbStatus';
export { extractMeasurements, type Measurements } from './measurements';
export { imageHash, IMAGE_HASH_DOMAIN } from './imageHash';
export { reportDataFor, reportDataMatches, type ReportDataInput, REPORT_DATA_DOMAIN } from './reportData';
export { INTEL_SGX_ROOT_CA_PEM } from './trustAnchors';
export { verdictOf, type Verdict } from './verdict';
export { createDevQuoteAuthority, generateDevQuote, type DevQuoteAuthority, DEV_MEASUREMENT, devImageHash, devEnclaveMeasurement } from './devQuote';
export { enclaveMeasurement, ENCLAVE_MEASUREMENT_DOMAIN } from './enclaveMeasurement';
export { parseRuntimeConfig, runtimeHash, isLoopbackUrl, RuntimeConfigError, type RuntimeConfig, type RuntimeModel, RUNTIME_HASH_DOMAIN } from './runtimeConfig';
export { certifyQuote, type CertifyRequest, type CertifyOutcome, type IssuerConfig } from './issuer';
export { startAttestationServer, type ServerConfig, type RunningServer } from './server';
