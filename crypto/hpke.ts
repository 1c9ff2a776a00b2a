/**
 * RFC 9180 HPKE, base mode, single-shot (one message per context, sequence number 0), for exactly
 * one suite: DHKEM(X25519, HKDF-SHA256) = 0x0020, HKDF-SHA256 = 0x0001, ChaCha20-Poly1305 = 0x0003.
 *
 * Composed from well-kept primitives only: X25519 and ChaCha20-Poly1305 from node:crypto
 * (./x25519, ./aead), HKDF Extract/Expand from @noble/hashes. @hpke/core implements the same
 * suite and the tests check that each side opens what the other seals; it is not the runtime path
 * because its async WebCrypto key schedule costs ~1 ms per message here against ~0.1 ms for this
 * file (docs/spec/crypto-bench.md). Section numbers below are RFC 9180's.
 */
import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { aeadOpen, aeadSeal } from './aead';
import { publicKeyObject, rawPublicKey, secretKeyObject, x25519Shared, X25519KeyPair } from './x25519';

const ascii = (s: string) => Buffer.from(s, 'ascii');
const HPKE_V1 = ascii('HPKE-v1');
const KEM_SUITE_ID = Buffer.concat([ascii('KEM'), Buffer.from([0x00, 0x20])]); // §4.1
const HPKE_SUITE_ID = Buffer.concat([ascii('HPKE'), Buffer.from([0x00, 0x20, 0x00, 0x01, 0x00, 0x03])]); // §5.1
const MODE_BASE = 0x00;
const N_SECRET = 32;
const N_K = 32;
const N_N = 12;
const EMPTY = new Uint8Array(0);

function labeledExtract(suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
    return extract(sha256, Buffer.concat([HPKE_V1, suiteId, ascii(label), ikm]), salt);
}

function labeledExpand(suiteId: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number) {
    const lengthBytes = Buffer.from([length >> 8, length & 0xff]);
    return expand(sha256, prk, Buffer.concat([lengthBytes, HPKE_V1, suiteId, ascii(label), info]), length);
}

/** §4.1 ExtractAndExpand: the KEM shared secret from the DH output and enc || pkRm. */
function extractAndExpand(dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
    const eaePrk = labeledExtract(KEM_SUITE_ID, EMPTY, 'eae_prk', dh);
    return labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, N_SECRET);
}

// psk_id is empty in base mode, so its hash is a constant; info_hash depends only on `info`,
// and Cocoon uses two fixed info strings, so both are computed once.
const PSK_ID_HASH = labeledExtract(HPKE_SUITE_ID, EMPTY, 'psk_id_hash', EMPTY);
const infoHashes = new Map<string, Uint8Array>();

function infoHash(info: Uint8Array): Uint8Array {
    const id = Buffer.from(info).toString('hex');
    let hash = infoHashes.get(id);
    if (!hash) {
        hash = labeledExtract(HPKE_SUITE_ID, EMPTY, 'info_hash', info);
        if (infoHashes.size < 16) infoHashes.set(id, hash);
    }
    return hash;
}

export interface KeySchedule {
    key: Uint8Array; // 32-byte AEAD key
    baseNonce: Uint8Array; // 12 bytes; the nonce of sequence number 0
}

/** §5.1 KeySchedule for mode_base (psk and psk_id empty); the exporter secret is not needed. */
export function keySchedule(sharedSecret: Uint8Array, info: Uint8Array): KeySchedule {
    const context = Buffer.concat([Buffer.from([MODE_BASE]), PSK_ID_HASH, infoHash(info)]);
    const secret = labeledExtract(HPKE_SUITE_ID, sharedSecret, 'secret', EMPTY);
    return {
        key: labeledExpand(HPKE_SUITE_ID, secret, 'key', context, N_K),
        baseNonce: labeledExpand(HPKE_SUITE_ID, secret, 'base_nonce', context, N_N),
    };
}

export interface Encapsulation {
    sharedSecret: Uint8Array;
    enc: Uint8Array; // 32-byte ephemeral public key
}

/** §4.1 Encap(pkR). `ephemeral` exists only so the RFC test vectors can fix skE. */
export function encap(recipientPublic: Uint8Array, ephemeral?: X25519KeyPair): Encapsulation {
    const recipientKey = publicKeyObject(recipientPublic); // validates length before any work
    let secret: KeyObject;
    let enc: Uint8Array;
    if (ephemeral) {
        secret = secretKeyObject(ephemeral.secretKey);
        enc = rawPublicKey(createPublicKey(secret));
    } else {
        const pair = generateKeyPairSync('x25519');
        secret = pair.privateKey;
        enc = rawPublicKey(pair.publicKey);
    }
    const dh = x25519Shared(secret, recipientKey);
    return { sharedSecret: extractAndExpand(dh, Buffer.concat([enc, recipientPublic])), enc };
}

/** A recipient key prepared once: decap needs pkRm, and deriving it per message costs a scalar multiplication. */
export interface Recipient {
    key: KeyObject;
    publicKey: Uint8Array;
}

export function recipientFromSecret(secretKey: Uint8Array): Recipient {
    const key = secretKeyObject(secretKey);
    return { key, publicKey: rawPublicKey(createPublicKey(key)) };
}

/** §4.1 Decap(enc, skR). */
export function decap(recipient: Recipient, enc: Uint8Array): Uint8Array {
    const dh = x25519Shared(recipient.key, publicKeyObject(enc));
    return extractAndExpand(dh, Buffer.concat([enc, recipient.publicKey]));
}

/** §6.1 SealBase: a fresh context, one message at sequence number 0. */
export function sealBase(recipientPublic: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, ephemeral?: X25519KeyPair) {
    const { sharedSecret, enc } = encap(recipientPublic, ephemeral);
    const { key, baseNonce } = keySchedule(sharedSecret, info);
    return { enc, ciphertext: aeadSeal(key, baseNonce, aad, plaintext) };
}

/** §6.1 OpenBase. Throws EnvelopeError('DecryptFailed') when the tag does not verify. */
export function openBase(recipient: Recipient, enc: Uint8Array, info: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Buffer {
    const { key, baseNonce } = keySchedule(decap(recipient, enc), info);
    return aeadOpen(key, baseNonce, aad, ciphertext);
}
