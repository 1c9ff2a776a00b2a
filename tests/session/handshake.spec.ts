/**
 * The session handshake (crypto/sessionHandshake.ts, docs/spec/session-channel.md "Handshake"):
 * formats byte by byte, the key schedule against node:crypto's HKDF, and every way a Hello or a
 * Welcome that is not genuine for this session is refused.
 */
import fc from 'fast-check';
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { acceptHello, encodeHello, encodeWelcome, HELLO_BYTES, parseHello, parseWelcome, startHandshake, WELCOME_BYTES } from '../../crypto';
import { deriveChannelKeys, helloDigest, transcriptHash } from '../../crypto/sessionHandshake';
import { generateX25519KeyPair } from '../../crypto';
import { connect, expectCode, flip, newSigner, world } from './helpers';

const sha256 = (...parts: Uint8Array[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

describe('handshake round trip', () => {
    it('both sides derive one channel: same id, and a request and an answer cross it', () => {
        const w = world();
        const { hello, welcome, client, runner } = connect(w);
        expect(hello).toHaveLength(HELLO_BYTES);
        expect(welcome).toHaveLength(WELCOME_BYTES);
        expect(client.channelId).toEqual(runner.channelId);
        const req = client.sealRequest(Buffer.from('{"prompt":"hi"}'));
        expect(runner.openRequest(req.seq, req.sealed).toString()).toBe('{"prompt":"hi"}');
        const chunk = runner.sealChunk(req.seq, 0, Buffer.from('voucher'), true);
        expect(client.openChunk(req.seq, 0, chunk)).toEqual({ data: Buffer.from('voucher'), final: true });
    });

    it('two handshakes for one session give unrelated channels (fresh ephemeral keys on both sides)', () => {
        const w = world();
        const a = connect(w);
        const b = connect(w);
        expect(a.client.channelId).not.toEqual(b.client.channelId);
        const req = a.client.sealRequest(Buffer.from('x'));
        expectCode(() => b.runner.openRequest(req.seq, req.sealed), 'DecryptFailed');
    });
});

describe('formats, rebuilt from the spec with independent primitives', () => {
    const w = world({ globalId: -3, provider: new Address(-1, Buffer.alloc(32, 0xab)), sessionId: 0x0102030405060708n });
    const { hello, welcome } = connect(w);

    it('Hello: version, int32 globalId, int8 workchain, provider hash, uint64 session, enclave key, ephemeral, signature', () => {
        expect(hello[0]).toBe(1);
        expect(hello.readInt32BE(1)).toBe(-3);
        expect(hello.readInt8(5)).toBe(-1);
        expect(hello.subarray(6, 38)).toEqual(Buffer.alloc(32, 0xab));
        expect(hello.subarray(38, 46).toString('hex')).toBe('0102030405060708');
        expect(hello.subarray(46, 78)).toEqual(Buffer.from(w.enclave.publicKey));
        const digest = sha256(Buffer.from('SHLO', 'ascii'), hello.subarray(0, 110), w.client.publicKey);
        expect(ed25519.verify(hello.subarray(110), digest, w.client.publicKey)).toBe(true);
        expect(Buffer.from(helloDigest(hello.subarray(0, 110), w.client.publicKey))).toEqual(digest);
        const parsed = parseHello(hello);
        expect(parsed.provider.equals(w.binding.provider)).toBe(true);
        expect(encodeHello(parsed)).toEqual(hello);
    });

    it('Welcome: version, runner ephemeral, enclave signature over SHA-256("SWLC" || Hello || clientKey || Welcome body)', () => {
        expect(welcome[0]).toBe(1);
        const transcript = sha256(Buffer.from('SWLC', 'ascii'), hello, w.client.publicKey, welcome.subarray(0, 33));
        expect(ed25519.verify(welcome.subarray(33), transcript, w.enclave.publicKey)).toBe(true);
        expect(Buffer.from(transcriptHash(hello, w.client.publicKey, welcome.subarray(0, 33)))).toEqual(transcript);
        expect(encodeWelcome(parseWelcome(welcome))).toEqual(welcome);
    });

    it('key schedule: HKDF-SHA256, salt = transcript hash, one Expand per label', () => {
        const shared = randomBytes(32);
        const transcript = randomBytes(32);
        const hkdf = (label: string, n: number) => Buffer.from(hkdfSync('sha256', shared, transcript, Buffer.from(label, 'ascii'), n));
        const keys = deriveChannelKeys(shared, transcript);
        expect(Buffer.from(keys.clientToRunner)).toEqual(hkdf('cocoon/session/v1 client->runner', 32));
        expect(Buffer.from(keys.runnerToClient)).toEqual(hkdf('cocoon/session/v1 runner->client', 32));
        expect(Buffer.from(keys.channelId)).toEqual(hkdf('cocoon/session/v1 channel id', 16));
    });

    it('Hello encode/parse round-trips any binding (property)', () => {
        fc.assert(
            fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: -128, max: 127 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (globalId, wc, sessionId) => {
                const h = { globalId, provider: new Address(wc, randomBytes(32)), sessionId, enclaveKey: randomBytes(32), clientEphemeral: randomBytes(32), signature: randomBytes(64) };
                const bytes = encodeHello(h);
                expect(bytes).toHaveLength(HELLO_BYTES);
                const back = parseHello(bytes);
                expect(back.globalId).toBe(globalId);
                expect(back.provider.equals(h.provider)).toBe(true);
                expect(back.sessionId).toBe(sessionId);
                expect(encodeHello(back)).toEqual(bytes);
            }),
            { numRuns: 100 },
        );
    });
});

describe('the runner refuses a Hello that is not the session client\'s', () => {
    it('a stranger who knows every public fact of the session but not its client key', () => {
        const w = world();
        const stranger = newSigner();
        const hs = startHandshake({ ...w.binding, enclaveKey: w.enclave.publicKey, client: stranger });
        expectCode(() => acceptHello(hs.hello, w.facts, w.enclave), 'BadSignature', /not signed by the session's client key/);
    });

    it('a genuine Hello with the stranger\'s ephemeral key put in (the signature no longer covers it)', () => {
        const w = world();
        const genuine = startHandshake({ ...w.binding, enclaveKey: w.enclave.publicKey, client: w.client });
        const forged = encodeHello({ ...parseHello(genuine.hello), clientEphemeral: generateX25519KeyPair().publicKey });
        expectCode(() => acceptHello(forged, w.facts, w.enclave), 'BadSignature');
    });

    it('any one byte changed, by field: version, network, provider, session, enclave key, ephemeral, signature', () => {
        const w = world();
        const { hello } = startHandshake({ ...w.binding, enclaveKey: w.enclave.publicKey, client: w.client });
        const expected = (i: number) =>
            i === 0 ? 'BadVersion' : i < 5 ? 'WrongNetwork' : i < 38 ? 'WrongProvider' : i < 46 ? 'WrongSession' : i < 78 ? 'WrongEnclave' : 'BadSignature';
        for (let i = 0; i < HELLO_BYTES; i++) expectCode(() => acceptHello(flip(hello, i), w.facts, w.enclave), expected(i));
        expect(acceptHello(hello, w.facts, w.enclave).welcome).toHaveLength(WELCOME_BYTES);
    });

    it('a validly signed Hello for another session, Provider or network than the runner looked up', () => {
        const w = world();
        const hello = (over: object) => startHandshake({ ...w.binding, ...over, enclaveKey: w.enclave.publicKey, client: w.client }).hello;
        expectCode(() => acceptHello(hello({ sessionId: w.binding.sessionId + 1n }), w.facts, w.enclave), 'WrongSession');
        expectCode(() => acceptHello(hello({ provider: new Address(0, randomBytes(32)) }), w.facts, w.enclave), 'WrongProvider');
        expectCode(() => acceptHello(hello({ provider: new Address(-1, w.binding.provider.hash) }), w.facts, w.enclave), 'WrongProvider');
        expectCode(() => acceptHello(hello({ globalId: -3 }), w.facts, w.enclave), 'WrongNetwork');
    });

    it('a Hello expecting another enclave, and a session opened for another enclave than this runner', () => {
        const w = world();
        const other = newSigner();
        const toOther = startHandshake({ ...w.binding, enclaveKey: other.publicKey, client: w.client }).hello;
        expectCode(() => acceptHello(toOther, w.facts, w.enclave), 'WrongEnclave', /expects another enclave key/);
        const genuine = startHandshake({ ...w.binding, enclaveKey: w.enclave.publicKey, client: w.client }).hello;
        expectCode(() => acceptHello(genuine, w.facts, other), 'WrongEnclave', /another enclave key than this runner's/);
    });

    it('a replayed Hello gets a new Welcome whose channel the replayer cannot use, and the client\'s channel stays its own', () => {
        const w = world();
        const { hello, client, runner } = connect(w);
        const replay = acceptHello(hello, w.facts, w.enclave); // what a replayer gets back
        expect(replay.channel.channelId).not.toEqual(runner.channelId);
        const req = client.sealRequest(Buffer.from('mine'));
        expectCode(() => replay.channel.openRequest(req.seq, req.sealed), 'DecryptFailed');
        expect(runner.openRequest(req.seq, req.sealed).toString()).toBe('mine');
    });

    it('malformed: wrong lengths, trailing bytes, another version', () => {
        const w = world();
        const { hello } = startHandshake({ ...w.binding, enclaveKey: w.enclave.publicKey, client: w.client });
        expectCode(() => acceptHello(hello.subarray(0, HELLO_BYTES - 1), w.facts, w.enclave), 'Malformed', /174 bytes, got 173/);
        expectCode(() => acceptHello(Buffer.concat([hello, Buffer.from([0])]), w.facts, w.enclave), 'Malformed', /got 175/);
        expectCode(() => acceptHello(Buffer.alloc(0), w.facts, w.enclave), 'Malformed');
        const v2 = Buffer.from(hello);
        v2[0] = 2;
        expectCode(() => acceptHello(v2, w.facts, w.enclave), 'BadVersion', /version 2 is not 1/);
        expectCode(() => acceptHello(hello, { ...w.facts, clientKey: w.client.publicKey.subarray(0, 31) }, w.enclave), 'Malformed');
        expectCode(() => acceptHello(hello, { ...w.facts, enclaveKey: new Uint8Array(33) }, w.enclave), 'Malformed');
    });

    it('a session client key anyone can sign for (small order) is refused before any signature check', () => {
        const w = world();
        const weak = Buffer.from(ED25519_TORSION_SUBGROUP[0], 'hex');
        const { hello } = startHandshake({ ...w.binding, enclaveKey: w.enclave.publicKey, client: w.client });
        expectCode(() => acceptHello(hello, { ...w.facts, clientKey: weak }, w.enclave), 'BadKey', /small-order/);
    });

    it('a low-order client ephemeral key, even signed by the client, is refused', () => {
        const w = world();
        const unsigned = encodeHello({ ...w.binding, enclaveKey: w.enclave.publicKey, clientEphemeral: new Uint8Array(32), signature: new Uint8Array(64) });
        const body = unsigned.subarray(0, 110);
        const hello = Buffer.concat([body, w.client.sign(helloDigest(body, w.client.publicKey))]);
        expectCode(() => acceptHello(hello, w.facts, w.enclave), 'BadKey', /low-order|all zero/);
    });
});

describe('the client refuses a Welcome that is not the enclave\'s answer to its Hello', () => {
    function pending() {
        const w = world();
        const hs = startHandshake({ ...w.binding, enclaveKey: w.enclave.publicKey, client: w.client });
        return { w, hs, welcome: acceptHello(hs.hello, w.facts, w.enclave).welcome };
    }

    it('signed by another key', () => {
        const { w, hs, welcome } = pending();
        const impostor = newSigner();
        const body = welcome.subarray(0, 33);
        const forged = Buffer.concat([body, impostor.sign(transcriptHash(hs.hello, w.client.publicKey, body))]);
        expectCode(() => hs.finish(forged), 'BadSignature', /not signed by the session's enclave key/);
    });

    it('a genuine Welcome from another handshake of the same session (replayed)', () => {
        const { hs } = pending();
        const other = pending();
        expectCode(() => hs.finish(other.welcome), 'BadSignature');
    });

    it('a Welcome from the runner of another session with the same enclave', () => {
        const { w, hs } = pending();
        const otherSession = world();
        const otherFacts = { ...otherSession.facts, enclaveKey: w.enclave.publicKey };
        const theirs = startHandshake({ ...otherSession.binding, enclaveKey: w.enclave.publicKey, client: otherSession.client });
        expectCode(() => hs.finish(acceptHello(theirs.hello, otherFacts, w.enclave).welcome), 'BadSignature');
    });

    it('any one byte changed; then the genuine Welcome still finishes, once', () => {
        const { hs, welcome } = pending();
        for (let i = 0; i < WELCOME_BYTES; i++) expectCode(() => hs.finish(flip(welcome, i)), i === 0 ? 'BadVersion' : 'BadSignature');
        expectCode(() => hs.finish(welcome.subarray(0, 96)), 'Malformed', /97 bytes, got 96/);
        expectCode(() => hs.finish(Buffer.concat([welcome, Buffer.alloc(1)])), 'Malformed', /got 98/);
        const channel = hs.finish(welcome);
        expect(channel.channelId).toHaveLength(16);
        expectCode(() => hs.finish(welcome), 'HandshakeDone');
    });

    it('a low-order runner ephemeral key, even signed by the enclave, is refused', () => {
        const { w, hs } = pending();
        const body = Buffer.concat([Buffer.from([1]), new Uint8Array(32)]);
        const welcome = Buffer.concat([body, w.enclave.sign(transcriptHash(hs.hello, w.client.publicKey, body))]);
        expectCode(() => hs.finish(welcome), 'BadKey');
    });
});

describe('the client refuses to start a handshake it cannot finish correctly', () => {
    const w = world();
    const start = (over: object) => () => startHandshake({ ...w.binding, enclaveKey: w.enclave.publicKey, client: w.client, ...over });

    it('bindings out of range', () => {
        expectCode(start({ globalId: 2 ** 31 }), 'Malformed', /int32/);
        expectCode(start({ globalId: 1.5 }), 'Malformed', /int32/);
        expectCode(start({ sessionId: -1n }), 'Malformed', /uint64/);
        expectCode(start({ sessionId: 2n ** 64n }), 'Malformed', /uint64/);
        expectCode(start({ provider: new Address(239, randomBytes(32)) }), 'Malformed', /int8/);
    });

    it('an enclave key that is not a usable point', () => {
        expectCode(start({ enclaveKey: new Uint8Array(31) }), 'BadKey', /32 bytes/);
        expectCode(start({ enclaveKey: Buffer.from(ED25519_TORSION_SUBGROUP[1], 'hex') }), 'BadKey', /small-order/);
    });
});
