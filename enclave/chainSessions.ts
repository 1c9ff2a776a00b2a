/**
 * What the runner reads on chain before it serves a session: the session as its own Provider holds
 * it (docs/SPEC.md, "Sessions"). The runner accepts a handshake only for a session that is open
 * there, bound to this enclave's key, not closing, not expired, for a model it serves; it signs a
 * voucher only within the deposit it read there (enclave/sessions.ts).
 *
 * As for jobs (chainJobs.ts), the endpoint is the provider's own choice: a lying one can make the
 * runner refuse a real session or serve one that is not open (vouchers that settle nothing), or
 * overstate a deposit (vouchers above the deposit, which the contract refuses until a top-up covers
 * them). It cannot make the runner sign two vouchers for one sequence number, so it can only hurt
 * its own provider.
 */
import { Address } from '@ton/core';
import type { TonClient } from '@ton/ton';
import { loadSessionBinding, Provider } from '../wrappers/Provider';
import { open } from '../protocol/tonClient';

export interface OnChainSession {
    enclaveKey: bigint;
    clientKey: bigint; // the client's Ed25519 session key: only its holder may handshake
    modelId: bigint;
    deposit: bigint; // everything deposited so far, top-ups included (nanotons)
    paid: bigint;
    lastSeq: bigint;
    pricePerMillionIn: bigint;
    pricePerMillionOut: bigint;
    expiresAt: number; // unix seconds
    settleUntil: number;
    closing: boolean;
}

export interface SessionSource {
    /** The session as the Provider holds it, or null when it is not open (never opened, or ended). */
    session(sessionId: bigint): Promise<OnChainSession | null>;
}

/** Reads sessions through the Provider's `session(id)` getter on a toncenter v2 endpoint. */
export function chainSessionSource(client: TonClient, provider: Address): SessionSource {
    const contract = open(client, Provider.fromAddress(provider));
    return {
        async session(sessionId) {
            const s = await contract.getSession(sessionId);
            if (!s) return null;
            const binding = loadSessionBinding(s.binding.beginParse());
            return {
                enclaveKey: s.enclaveKey,
                clientKey: binding.clientKey,
                modelId: binding.modelId,
                deposit: s.deposit,
                paid: s.paid,
                lastSeq: s.lastSeq,
                pricePerMillionIn: s.pricePerMillionIn,
                pricePerMillionOut: s.pricePerMillionOut,
                expiresAt: Number(s.expiresAt),
                settleUntil: Number(s.settleUntil),
                closing: s.closing,
            };
        },
    };
}
