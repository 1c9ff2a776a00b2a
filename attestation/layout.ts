/**
 * Sizes and codes of the Intel TDX DCAP quote (Intel "TDX DCAP Quoting Library API", quote format v4
 * and v5). docs/spec/attestation.md lists the resulting byte offsets.
 */
export const HEADER_SIZE = 48;
export const TD_REPORT10_SIZE = 584; // v4 body, and v5 body type 2
export const TD_REPORT15_SIZE = 648; // v5 body type 3: TD 1.0 + TEE_TCB_SVN_2 (16) + MRSERVICETD (48)
export const V5_BODY_DESCRIPTOR_SIZE = 6; // body type u16 + body size u32
export const SGX_REPORT_SIZE = 384; // the QE report
export const ECDSA_SIG_SIZE = 64; // raw r||s
export const ECDSA_PUBKEY_SIZE = 64; // raw x||y, no 0x04 prefix

export const ATT_KEY_TYPE_ECDSA_P256 = 2;
export const TEE_TYPE_TDX = 0x81;
export const V5_BODY_TD10 = 2;
export const V5_BODY_TD15 = 3;
export const CERT_DATA_QE_REPORT = 6;
export const CERT_DATA_PCK_CHAIN = 5;

/** Intel's QE vendor ID; informational (dev quotes carry it too so the layout stays exact). */
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';

/** TD attribute bit 0: the TD runs in debug mode, so the host can read its memory. */
export const TD_ATTRIBUTE_DEBUG = 1n;
