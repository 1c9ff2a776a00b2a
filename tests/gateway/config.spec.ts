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
