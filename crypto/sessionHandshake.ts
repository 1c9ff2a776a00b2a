/**
 * The session handshake (docs/spec/session-channel.md): a client that holds a session's key and the
 * enclave runner named by that session agree on a channel, authenticated both ways and forward-secret.
 *
 *   client → runner  Hello   = version, globalId, provider, sessionId, enclaveKey, client ephemeral X25519,
 *                              Ed25519 signature by the session's client key over SHA-256("SHLO" || Hello body || clientKey)
 *   runner → client  Welcome = version, runner ephemeral X25519,
 *                              Ed25519 signature by the enclave key over the transcript hash
 *   transcript hash  = SHA-256("SWLC" || Hello || clientKey || Welcome body)
 *   keys             = HKDF-SHA256(salt = transcript hash, ikm = X25519(client ephemeral, runner ephemeral))
 *
 * The long-term keys only sign, so recording them (or stealing them later) opens no past channel;
 * both signatures cover both identities (the client signs the enclave key it expects, the enclave
 * signs a transcript holding the client key), and each side contributes a fresh ephemeral key, so a
 * replayed Hello gets a Welcome whose keys its sender cannot compute.
 * Primitives: X25519 (./x25519) and Ed25519 (./ed25519) on node:crypto, SHA-256 and HKDF from
 * @noble/hashes. Nothing here is a primitive written by hand.
 */
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { Address } from '@ton/core';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ED25519_KEY_BYTES, Ed25519KeyError, ed25519PublicKey, ED25519_SIGNATURE_BYTES, Ed25519Signer, ed25519Verify } from './ed25519';
import { EnvelopeError } from './errors';
import { SessionError } from './sessionErrors';
import { ChannelKeys, ChannelLimits, ClientChannel, RunnerChannel, CHANNEL_ID_BYTES } from './sessionChannel';
import { publicKeyObject, rawPublicKey, x25519Shared, X25519_KEY_BYTES } from './x25519';

export const SESSION_VERSION = 1;
export const TAG_SESSION_HELLO = 0x53484c4f; // "SHLO"
export const TAG_SESSION_WELCOME = 0x53574c43; // "SWLC"

// Hello layout (byte offsets); all integers big-endian.
const H_VERSION = 0;
const H_GLOBAL_ID = 1; // int32
const H_WORKCHAIN = 5; // int8
const H_PROVIDER = 6; // 32-byte account id
const H_SESSION = 38; // uint64
const H_ENCLAVE = 46; // Ed25519 public key, 32
const H_EPHEMERAL = 78; // X25519 public key, 32
export const HELLO_BODY_BYTES = 110;
export const HELLO_BYTES = HELLO_BODY_BYTES + ED25519_SIGNATURE_BYTES; // 174

// Welcome layout.
const W_EPHEMERAL = 1;
export const WELCOME_BODY_BYTES = 1 + X25519_KEY_BYTES; // 33
export const WELCOME_BYTES = WELCOME_BODY_BYTES + ED25519_SIGNATURE_BYTES; // 97

const LABEL_CLIENT_TO_RUNNER = Buffer.from('cocoon/session/v1 client->runner', 'ascii');
const LABEL_RUNNER_TO_CLIENT = Buffer.from('cocoon/session/v1 runner->client', 'ascii');
const LABEL_CHANNEL_ID = Buffer.from('cocoon/session/v1 channel id', 'ascii');

/** What names one session on chain. */
export interface SessionBinding {
    globalId: number; // int32: network id
    provider: Address; // the Provider contract the session is opened with (workchain must fit int8)
    sessionId: bigint; // uint64
}

/** What the runner reads on chain about the session a Hello names, before accepting it. */
export interface SessionFacts extends SessionBinding {
    clientKey: Uint8Array; // Ed25519 public key recorded by the session: only its holder may use the session
    enclaveKey: Uint8Array; // Ed25519 public key of the enclave the session was opened for
}

export interface Hello extends SessionBinding {
    enclaveKey: Uint8Array; // the enclave key the client expects to answer
    clientEphemeral: Uint8Array; // X25519, fresh per handshake
    signature: Uint8Array; // by the client key over helloDigest(...)
}

export interface Welcome {
    runnerEphemeral: Uint8Array; // X25519, fresh per accepted Hello
    signature: Uint8Array; // by the enclave key over the transcript hash
}

function tagBytes(tag: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(tag);
    return b;
}
const HELLO_TAG = tagBytes(TAG_SESSION_HELLO);
const WELCOME_TAG = tagBytes(TAG_SESSION_WELCOME);

function requireBytes(value: Uint8Array, length: number, what: string): void {
    if (!(value instanceof Uint8Array) || value.length !== length) {
        throw new SessionError('Malformed', `${what} must be ${length} bytes, got ${value instanceof Uint8Array ? value.length : typeof value}`);
    }
}

function requireBinding(b: SessionBinding): void {
    if (!Number.isInteger(b.globalId) || b.globalId < -0x80000000 || b.globalId > 0x7fffffff) throw new SessionError('Malformed', 'globalId must be an int32');
    if (!Address.isAddress(b.provider) || b.provider.workChain < -128 || b.provider.workChain > 127) throw new SessionError('Malformed', 'provider must be an Address on a workchain that fits an int8');
    if (typeof b.sessionId !== 'bigint' || b.sessionId < 0n || b.sessionId > 0xffffffffffffffffn) throw new SessionError('Malformed', 'sessionId must be a uint64');
}

function helloBody(h: Omit<Hello, 'signature'>): Buffer {
    requireBinding(h);
    requireBytes(h.enclaveKey, ED25519_KEY_BYTES, 'enclave key');
    requireBytes(h.clientEphemeral, X25519_KEY_BYTES, 'client ephemeral key');
    const out = Buffer.alloc(HELLO_BODY_BYTES);
    out[H_VERSION] = SESSION_VERSION;
    out.writeInt32BE(h.globalId, H_GLOBAL_ID);
    out.writeInt8(h.provider.workChain, H_WORKCHAIN);
    out.set(h.provider.hash, H_PROVIDER);
    out.writeBigUInt64BE(h.sessionId, H_SESSION);
    out.set(h.enclaveKey, H_ENCLAVE);
    out.set(h.clientEphemeral, H_EPHEMERAL);
    return out;
}

export function encodeHello(h: Hello): Buffer {
    requireBytes(h.signature, ED25519_SIGNATURE_BYTES, 'Hello signature');
    return Buffer.concat([helloBody(h), h.signature]);
}

function requireVersion(bytes: Uint8Array, what: string): void {
    if (bytes[0] !== SESSION_VERSION) throw new SessionError('BadVersion', `${what} version ${bytes[0]} is not ${SESSION_VERSION}`);
}

/** The Hello's fields, checked for form only: exactly 174 bytes, version 1. acceptHello checks the rest. */
export function parseHello(bytes: Uint8Array): Hello {
    requireBytes(bytes, HELLO_BYTES, 'Hello');
    requireVersion(bytes, 'Hello');
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    return {
        globalId: b.readInt32BE(H_GLOBAL_ID),
        provider: new Address(b.readInt8(H_WORKCHAIN), Buffer.from(b.subarray(H_PROVIDER, H_SESSION))),
        sessionId: b.readBigUInt64BE(H_SESSION),
        enclaveKey: new Uint8Array(b.subarray(H_ENCLAVE, H_EPHEMERAL)),
        clientEphemeral: new Uint8Array(b.subarray(H_EPHEMERAL, HELLO_BODY_BYTES)),
        signature: new Uint8Array(b.subarray(HELLO_BODY_BYTES)),
    };
}

export function encodeWelcome(w: Welcome): Buffer {
    requireBytes(w.runnerEphemeral, X25519_KEY_BYTES, 'runner ephemeral key');
    requireBytes(w.signature, ED25519_SIGNATURE_BYTES, 'Welcome signature');
    return Buffer.concat([Buffer.from([SESSION_VERSION]), w.runnerEphemeral, w.signature]);
}

/** The Welcome's fields, checked for form only: exactly 97 bytes, version 1. */
export function parseWelcome(bytes: Uint8Array): Welcome {
    requireBytes(bytes, WELCOME_BYTES, 'Welcome');
    requireVersion(bytes, 'Welcome');
    return {
        runnerEphemeral: new Uint8Array(bytes.subarray(W_EPHEMERAL, WELCOME_BODY_BYTES)),
        signature: new Uint8Array(bytes.subarray(WELCOME_BODY_BYTES)),
    };
}

/** What the client key signs: SHA-256("SHLO" || Hello body || clientKey). */
export function helloDigest(body: Uint8Array, clientKey: Uint8Array): Uint8Array {
    return sha256(Buffer.concat([HELLO_TAG, body, clientKey]));
}

/** What the enclave key signs, and the key schedule's salt: SHA-256("SWLC" || Hello || clientKey || Welcome body). */
export function transcriptHash(hello: Uint8Array, clientKey: Uint8Array, welcomeBody: Uint8Array): Uint8Array {
    return sha256(Buffer.concat([WELCOME_TAG, hello, clientKey, welcomeBody]));
}

/** HKDF-SHA256: Extract(salt = transcript hash, ikm = X25519 output), then one Expand per key. */
export function deriveChannelKeys(shared: Uint8Array, transcript: Uint8Array): ChannelKeys {
    const prk = extract(sha256, shared, transcript);
    const keys = {
        clientToRunner: expand(sha256, prk, LABEL_CLIENT_TO_RUNNER, 32),
        runnerToClient: expand(sha256, prk, LABEL_RUNNER_TO_CLIENT, 32),
        channelId: expand(sha256, prk, LABEL_CHANNEL_ID, CHANNEL_ID_BYTES),
    };
    prk.fill(0);
    return keys;
}

function verifyingKey(raw: Uint8Array, what: string): KeyObject {
    try {
        return ed25519PublicKey(raw);
    } catch (e) {
        if (e instanceof Ed25519KeyError) throw new SessionError('BadKey', `${what}: ${e.message}`);
        throw e;
    }
}

/** X25519 of our fresh secret and the peer's ephemeral; a low-order peer key is BadKey. */
function sharedSecret(secret: KeyObject, peerPublic: Uint8Array, what: string): Uint8Array {
    try {
        return x25519Shared(secret, publicKeyObject(peerPublic));
    } catch (e) {
        if (e instanceof EnvelopeError) throw new SessionError('BadKey', `${what}: ${e.message}`);
        throw e;
    }
}

function freshEphemeral(): { secret: KeyObject; publicKey: Uint8Array } {
    const pair = generateKeyPairSync('x25519');
    return { secret: pair.privateKey, publicKey: rawPublicKey(pair.publicKey) };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

export interface ClientHandshakeParams extends SessionBinding {
    enclaveKey: Uint8Array; // the session's enclave key, as recorded on chain (and attested)
    client: Ed25519Signer; // the session's client key (its public half is the clientKey on chain)
    limits?: Partial<ChannelLimits>;
}

/**
 * The client's side: `hello` to send, then `finish(welcome)` for the channel. A Welcome that fails
 * (forged, another handshake's, another enclave's) changes nothing, so the genuine one may still
 * follow; after a successful finish the ephemeral secret is dropped and finish refuses (HandshakeDone).
 */
export class ClientHandshake {
    readonly hello: Buffer;
    private readonly clientKey: Uint8Array;
    private readonly enclave: KeyObject;
    private readonly limits?: Partial<ChannelLimits>;
    private ephemeral?: KeyObject;

    constructor(params: ClientHandshakeParams) {
        this.enclave = verifyingKey(params.enclaveKey, 'enclave key');
        this.clientKey = params.client.publicKey;
        this.limits = params.limits;
        const { secret, publicKey } = freshEphemeral();
        const body = helloBody({ ...params, clientEphemeral: publicKey });
        this.hello = Buffer.concat([body, params.client.sign(helloDigest(body, this.clientKey))]);
        this.ephemeral = secret;
    }

    finish(welcomeBytes: Uint8Array): ClientChannel {
        if (!this.ephemeral) throw new SessionError('HandshakeDone', 'this handshake already has its channel; start a new one');
        const welcome = parseWelcome(welcomeBytes);
        const transcript = transcriptHash(this.hello, this.clientKey, welcomeBytes.subarray(0, WELCOME_BODY_BYTES));
        if (!ed25519Verify(this.enclave, transcript, welcome.signature)) {
            throw new SessionError('BadSignature', 'the Welcome is not signed by the session\'s enclave key over this handshake');
        }
        const shared = sharedSecret(this.ephemeral, welcome.runnerEphemeral, 'runner ephemeral key');
        this.ephemeral = undefined;
        const keys = deriveChannelKeys(shared, transcript);
        shared.fill(0);
        return new ClientChannel(keys, this.limits);
    }
}

export function startHandshake(params: ClientHandshakeParams): ClientHandshake {
    return new ClientHandshake(params);
}

export interface AcceptedHello {
    welcome: Buffer; // send to the client
    channel: RunnerChannel;
    hello: Hello; // the parsed Hello, for logging its public fields
}

function requireSameSession(hello: Hello, facts: SessionFacts): void {
    if (hello.globalId !== facts.globalId) throw new SessionError('WrongNetwork', `the Hello is for network ${hello.globalId}, the session is on ${facts.globalId}`);
    if (!hello.provider.equals(facts.provider)) throw new SessionError('WrongProvider', 'the Hello names another Provider contract than the session');
    if (hello.sessionId !== facts.sessionId) throw new SessionError('WrongSession', `the Hello names session ${hello.sessionId}, not ${facts.sessionId}`);
    if (!sameBytes(hello.enclaveKey, facts.enclaveKey)) throw new SessionError('WrongEnclave', 'the Hello expects another enclave key than the session names');
}

/**
 * The runner's side. `facts` is what the runner read on chain for the session the Hello names
 * (parseHello(bytes).sessionId tells which); `enclave` is this runner's enclave key. Refuses, with a
 * SessionError and no state kept: a malformed Hello, a session opened for another enclave key, a
 * Hello for another network, Provider, session or enclave, a client key that is not a usable point,
 * a signature not by the session's client key, a low-order ephemeral key.
 */
export function acceptHello(helloBytes: Uint8Array, facts: SessionFacts, enclave: Ed25519Signer, limits?: Partial<ChannelLimits>): AcceptedHello {
    const hello = parseHello(helloBytes);
    requireBytes(facts.enclaveKey, ED25519_KEY_BYTES, 'the session\'s enclave key');
    requireBytes(facts.clientKey, ED25519_KEY_BYTES, 'the session\'s client key');
    if (!sameBytes(facts.enclaveKey, enclave.publicKey)) throw new SessionError('WrongEnclave', 'the session was opened for another enclave key than this runner\'s');
    requireSameSession(hello, facts);
    const client = verifyingKey(facts.clientKey, 'the session\'s client key');
    if (!ed25519Verify(client, helloDigest(helloBytes.subarray(0, HELLO_BODY_BYTES), facts.clientKey), hello.signature)) {
        throw new SessionError('BadSignature', 'the Hello is not signed by the session\'s client key');
    }
    const { secret, publicKey } = freshEphemeral();
    const shared = sharedSecret(secret, hello.clientEphemeral, 'client ephemeral key');
    const welcomeBody = Buffer.concat([Buffer.from([SESSION_VERSION]), publicKey]);
    const transcript = transcriptHash(helloBytes, facts.clientKey, welcomeBody);
    const keys = deriveChannelKeys(shared, transcript);
    shared.fill(0);
    const welcome = Buffer.concat([welcomeBody, enclave.sign(transcript)]);
    return { welcome, channel: new RunnerChannel(keys, limits), hello };
}
