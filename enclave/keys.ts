/**
 * The enclave's two key pairs, created inside this process at start and never exported.
 *
 * Secrets live only in this closure: no property, getter, toJSON or log line exposes them, so a
 * stray `JSON.stringify(keys)` or `logger.info(keys)` prints public keys only. There is no sealed
 * storage we trust (docs/spec/enclave.md, "Restart"), so a restart means new keys and a new quote.
 */
import { Cell } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed25519Signer, generateX25519KeyPair, recipientFromSecret } from '../crypto';
import type { Ed25519Signer, Recipient } from '../crypto';

export interface EnclaveKeys {
    readonly ed25519Public: Uint8Array; // verifies receipts and declines
    readonly x25519Public: Uint8Array; // clients seal requests to it
    /** Ed25519 over the cell's representation hash, as the contract's checkSignature expects. */
    sign(cell: Cell): Buffer;
    /** The prepared X25519 secret for opening request envelopes. */
    recipient(): Recipient;
    /**
     * The same Ed25519 key for the session handshake (crypto/sessionHandshake.ts acceptHello), which
     * signs only the tagged transcript hash it computes itself: such a digest is never a cell's
     * representation hash, so a Welcome signature can never pass for a receipt, decline or voucher
     * (docs/spec/session-channel.md, "Tags and the other signed structures").
     */
    readonly session: Ed25519Signer;
}

export function createEnclaveKeys(): EnclaveKeys {
    const signingSecret = ed25519.utils.randomSecretKey();
    const ed25519Public = ed25519.getPublicKey(signingSecret);
    const encryption = generateX25519KeyPair();
    const prepared = recipientFromSecret(encryption.secretKey);
    encryption.secretKey.fill(0); // the KeyObject inside `prepared` is the only copy kept
    const session = ed25519Signer(signingSecret);
    const publicView = { ed25519Public: Buffer.from(ed25519Public).toString('hex'), x25519Public: Buffer.from(encryption.publicKey).toString('hex') };
    return Object.freeze({
        ed25519Public,
        x25519Public: encryption.publicKey,
        sign: (cell: Cell) => Buffer.from(session.sign(cell.hash())), // as signCell, on node:crypto
        recipient: () => prepared,
        session,
        toJSON: () => publicView,
    });
}
