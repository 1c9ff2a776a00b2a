// The gateway's configuration as parsed from flags and environment (no network needed).
import { parseGatewayConfig } from '../../gateway/config';

const base = { endpoint: 'http://127.0.0.1:1/jsonRPC', registry: 'EQBzKQXEMymiggWuqpIK3Ui8nrtOwdh-G8upjHRAE_aA8ZUF' };

describe('gateway: configuration', () => {
    it('refuses COCOON_VERIFY_QUOTE, whatever its value, saying it is gone and why (issue 11 #9)', () => {
        for (const value of ['0', '1', '']) {
            expect(() => parseGatewayConfig(base, { COCOON_VERIFY_QUOTE: value })).toThrow(/COCOON_VERIFY_QUOTE is set: quote verification can no longer be switched off.*compromised verifier.*unset it/);
        }
        expect(parseGatewayConfig(base, {})).not.toHaveProperty('verifyQuote');
    });
});

describe('gateway: several chain endpoints', () => {
    it('reads "url1,url2": the first serves every read and send, the others cross-check the trust reads', () => {
        const c = parseGatewayConfig({ ...base, endpoint: 'http://a.example/jsonRPC, https://b.example/api/v2/jsonRPC?api_key=k' }, {});
        expect(c.endpoint).toBe('http://a.example/jsonRPC');
        expect(c.witnesses).toEqual(['https://b.example/api/v2/jsonRPC?api_key=k']);
        expect(parseGatewayConfig(base, {}).witnesses).toEqual([]);
    });

    it('refuses an endpoint listed twice (a cross-check against itself proves nothing) and a non-http URL', () => {
        expect(() => parseGatewayConfig({ ...base, endpoint: 'http://a/jsonRPC,http://a/jsonRPC' }, {})).toThrow(/listed twice/);
        expect(() => parseGatewayConfig({ ...base, endpoint: 'http://a/jsonRPC,ftp://b' }, {})).toThrow(/"ftp:\/\/b" is not an http\(s\) URL/);
    });
});
