/** A development authority, verifier key and enclave keys with a quote bound to them. */
import { Address } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createDevQuoteAuthority, generateDevQuote } from '../../attestation/devQuote';
import { reportDataFor } from '../../attestation/reportData';
import { DEV_GLOBAL_ID } from '../../protocol/networks';
import { runtimeHash } from '../../attestation/runtimeConfig';
import { referenceRuntime } from '../fixtures/runtime';

export function devSetup() {
    const authority = createDevQuoteAuthority();
    const secretKey = ed25519.utils.randomSecretKey();
    const registry = Address.parse('EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N');
    const provider = new Address(0, Buffer.alloc(32, 7));
    const enclaveEd25519 = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    const enclaveX25519 = new Uint8Array(32).fill(9);
    const globalId = DEV_GLOBAL_ID;
    const runtime = referenceRuntime();
    const claims = { globalId, providerWorkchain: provider.workChain, providerHash: provider.hash, enclaveEd25519, enclaveX25519, runtimeHash: runtimeHash(runtime) };
    const quote = generateDevQuote(authority, reportDataFor(claims));
    return { authority, secretKey, registry, provider, enclaveEd25519, enclaveX25519, globalId, runtime, claims, quote };
}

