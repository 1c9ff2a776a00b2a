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

describe('gateway: TCB policy', () => {
    it('evaluates TCB by default: Intel PCS, UpToDate only; --collateral and --accept-tcb change that', () => {
        const c = parseGatewayConfig(base, {});
        expect(c.collateral).toBe('https://api.trustedservices.intel.com');
        expect(c.acceptTcb).toEqual(['UpToDate']);
        const d = parseGatewayConfig({ ...base, collateral: 'http://pccs.local:8081', acceptTcb: 'UpToDate,SWHardeningNeeded' }, {});
        expect(d).toMatchObject({ collateral: 'http://pccs.local:8081', acceptTcb: ['UpToDate', 'SWHardeningNeeded'] });
        expect(parseGatewayConfig(base, { COCOON_COLLATERAL: __dirname }).collateral).toBe(__dirname);
    });

    it('refuses an unknown status, Revoked, and a collateral path that does not exist', () => {
        expect(() => parseGatewayConfig({ ...base, acceptTcb: 'UpToDate,Patched' }, {})).toThrow(/"Patched" is not a TCB status/);
        expect(() => parseGatewayConfig({ ...base, acceptTcb: 'Revoked' }, {})).toThrow(/Revoked is never acceptable/);
        expect(() => parseGatewayConfig({ ...base, collateral: '/nonexistent/collateral' }, {})).toThrow(/neither an http\(s\) URL nor an existing file/);
    });
});
